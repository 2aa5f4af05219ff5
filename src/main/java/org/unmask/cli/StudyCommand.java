package org.unmask.cli;

import org.unmask.study.Harness;
import org.unmask.study.Ledger;
import org.unmask.study.Scale;
import org.unmask.study.Studies;
import org.unmask.study.Study;
import org.unmask.study.StudySettings;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code unmask study NAME}: runs one of the studies of docs/studies.md end to end, resumably. */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = {"Run a study of docs/studies.md end to end on the shipped corpus: its training arms (each a run "
                + "directory under DIR/arms, resumed exactly or skipped when finished), results.jsonl, SVG plots and summary.md in DIR."})
public final class StudyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "data-constrained|reversal|steps|init|scaling", description = "The study.")
    String name;

    static final class Size {
        @Option(names = "--quick", description = "Tiny models, seconds per arm (the test suite's form).") boolean quick;
        @Option(names = "--medium", description = "Small models, minutes per arm (what docs/studies.md reports).") boolean medium;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Size size;

    @Option(names = "--out", paramLabel = "DIR", description = "Study directory (default: studies/NAME[-quick|-medium]).")
    Path out;

    @Option(names = "--seeds", defaultValue = "2", description = "Seeds of the headline comparison (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Tokenizer of the corpus arms (default: the shipped model's, models/unmask-bible-9m/tokenizer.json).")
    Path tokenizer;

    @Option(names = "--model", paramLabel = "DIR",
            description = "steps: the diffusion model that writes (default: the shipped models/unmask-bible-9m).")
    Path model;

    @Option(names = "--judge", paramLabel = "DIR",
            description = "steps: an autoregressive model sharing the model's tokenizer that judges (default: the study trains one).")
    Path judge;

    @Option(names = "--encoder", paramLabel = "DIR",
            description = "init: a pretrained encoder (BERT family) to start the third arm from (default: that arm is skipped).")
    Path encoder;

    @Override public Integer call() throws Exception {
        Study study = Studies.named(name);
        Scale scale = size == null ? Scale.FULL : size.quick ? Scale.QUICK : Scale.MEDIUM;
        Path dir = out != null ? out : Path.of("studies", scale == Scale.FULL ? name : name + "-" + scale.spelling());
        Path shipped = DemoCommand.shipped();
        Harness harness = new Harness(new StudySettings(dir, scale, seeds,
                tokenizer != null ? tokenizer : shipped.resolve("tokenizer.json"), model != null ? model : shipped, judge, encoder, System.err));
        study.run(harness);
        System.out.println("study " + name + " (" + scale.spelling() + "): " + dir.resolve(Harness.SUMMARY) + ", "
                + dir.resolve(Ledger.FILE));
        return 0;
    }
}
