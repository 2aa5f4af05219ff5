package org.unmask.cli;

import org.unmask.diffusion.Infill;
import org.unmask.api.UnmaskModel;
import org.unmask.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code unmask infill}: fill {@code [MASK:n]} spans anywhere in a text. */
@Command(name = "infill", mixinStandardHelpOptions = true,
        description = "Fill masked spans in a text, e.g. --text \"The [MASK:5] sat on the mat.\"")
public final class InfillCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV] (see pull).")
    Path modelDir;

    @Option(names = "--text", paramLabel = "TEXT", description = "Text with [MASK] / [MASK:n] spans.")
    String text;

    @Option(names = "--ids", paramLabel = "IDS", description = "The canvas as token ids, masks written as the mask id (no tokenizer needed).")
    String ids;

    @Option(names = "--gen-length", defaultValue = "0", paramLabel = "N", description = "Extra masks appended after the text (default: 0).")
    int genLength;

    @Option(names = "--eot-id", description = "End-of-turn id (default: the family's end-of-turn token from the tokenizer, <|eot_id|> or Dream's <|im_end|>; without a tokenizer 126348 for LLaDA-8B, 151645 for Dream-7B; else none).")
    Integer eotId;

    @Mixin SamplingOptions sampling;

    @Mixin ViewOptions views;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return run(ModelDirs.load(modelDir), spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The command body over an already loaded model. */
    int run(UnmaskModel model, PrintWriter out, PrintWriter err) throws Exception {
        model.requireBidirectional("infill");
        Optional<Tokenizer> tok = model.tokenizer();
        if ((text == null) == (ids == null)) throw new IllegalArgumentException("give exactly one of --text or --ids");
        int mask = model.config().maskTokenId();
        int[] canvas = text != null
                ? Infill.encode(text, Ids.requireTokenizer(tok, modelDir, "--ids"), mask)
                : Ids.parse(ids, "--ids");
        int masks = Infill.countMasks(canvas, mask) + genLength;
        if (masks == 0) throw new IllegalArgumentException("nothing to fill: the text has no [MASK] spans and --gen-length is 0");
        var cfg = sampling.config(model.generationDefaults(), genLength, masks, genLength > 0 ? genLength : 1, mask, model.config().eosTokenId(),
                eotId != null ? eotId : model.eotId());
        SamplingRun.run(model, views, cfg, List.of(canvas), true, out, err);
        return 0;
    }
}
