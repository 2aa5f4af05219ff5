package org.unmask.cli;

import org.unmask.train.RunCheckpoint;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code unmask demo}: the first thing a newcomer runs. Animates the model shipped in {@code models/} writing by
 * unmasking, live in the terminal and as a GIF, in seconds; {@code --train} instead trains the tiny preset on the
 * shipped corpus for a few minutes (or reuses the model it trained before) and animates that one.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Watch the shipped diffusion LM (" + DemoCommand.SHIPPED + ") write by unmasking and save the animation "
                + "as a GIF; with --train, first train a tiny one on the shipped corpus (about 5 minutes on 2 cores)."})
public final class DemoCommand implements Callable<Integer> {
    /** The model the repository ships, relative to its root. */
    static final String SHIPPED = "models/unmask-bible-9m";

    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR",
            description = "The model to animate (default: " + SHIPPED + " of this checkout).")
    Path model;

    @Option(names = "--train", description = "Train a tiny model for --time first (or reuse the one in --dir) and animate it instead.")
    boolean train;

    @Option(names = "--dir", defaultValue = "runs/demo", paramLabel = "DIR",
            description = "With --train: where the demo model lives (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--time", defaultValue = "5m", paramLabel = "DURATION",
            description = "With --train: training time when no demo model exists yet (default: ${DEFAULT-VALUE}).")
    String time;

    @Option(names = "--retrain", description = "With --train: train a new demo model even if one exists (the old one is replaced).")
    boolean retrain;

    @Option(names = "--prompt", defaultValue = "And God said,", paramLabel = "TEXT",
            description = "Text the model continues (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--gen-length", defaultValue = "64", description = "Tokens to write (default: ${DEFAULT-VALUE}).")
    int genLength;

    @Option(names = "--block-length", description = "Semi-autoregressive block (default: the model's own, from its "
            + "generation_config.json; 16 with --train).")
    Integer blockLength;

    @Option(names = "--temperature", description = "Sampling temperature (default: the model's own; 1.0 with --train).")
    Double temperature;

    @Option(names = "--gif", defaultValue = "demo.gif", paramLabel = "FILE.gif",
            description = "Animated GIF of the unmasking (default: ${DEFAULT-VALUE}).")
    Path gif;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "Cache of tokenised corpora and tokenizers (default: $UNMASK_CACHE or ~/.cache/unmask).")
    Path cache;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        CommandLine root = spec.root().commandLine();
        Path animated;
        List<String> settings = new ArrayList<>();
        if (train) {
            if (model != null) throw new IllegalArgumentException("--train trains its own model in --dir; drop --model");
            int code = trainTiny(err, root);
            if (code != 0) return code;
            animated = dir;
            settings.addAll(List.of("--block-length", Integer.toString(blockLength != null ? blockLength : 16), "--temperature",
                    Double.toString(temperature != null ? temperature : 1.0), "--remasking", "low_confidence"));
        } else {
            animated = model != null ? model : shipped();
            if (!Files.isRegularFile(animated.resolve("config.json")))
                throw new IllegalArgumentException("no model in " + animated + (model != null ? "" : " (the shipped model is missing "
                        + "from this checkout)") + "; give --model DIR, or train a tiny one with 'unmask demo --train'");
            // a shipped model writes with the settings of its generation_config.json (those of its model card's samples)
            if (blockLength != null) settings.addAll(List.of("--block-length", blockLength.toString()));
            if (temperature != null) settings.addAll(List.of("--temperature", temperature.toString()));
        }
        err.println("demo: " + animated + " unmasks " + genLength + " tokens after \"" + prompt + "\", one token per step"
                + (settings.isEmpty() ? " (the model's own sampling settings)" : " " + String.join(" ", settings)));
        err.flush();
        List<String> args = new ArrayList<>(List.of("generate", "--model", animated.toString(), "--prompt", prompt,
                "--gen-length", Integer.toString(genLength), "--steps", Integer.toString(genLength),
                "--seed", Long.toString(seed), "--animate", "--gif", gif.toString()));
        args.addAll(settings);
        int code = root.execute(args.toArray(String[]::new));
        if (code == 0) err.println("demo: wrote " + gif);
        return code;
    }

    /** The shipped model of the checkout the launcher runs from ({@code unmask.home}), else of the working directory. */
    static Path shipped() {
        String home = System.getProperty("unmask.home");
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).resolve(SHIPPED);
    }

    private int trainTiny(PrintWriter err, CommandLine root) throws IOException {
        boolean exists = RunCheckpoint.exists(dir);
        if (exists && !retrain) {
            err.println("demo: reusing the model trained before in " + dir + " (--retrain to train a new one)");
            return 0;
        }
        if (exists) deleteRun(dir);
        err.println("demo: training the tiny preset on the shipped corpus for " + time + " into " + dir);
        err.flush();
        List<String> cmd = new ArrayList<>(List.of("train", "--corpus", "default", "--preset", "tiny",
                "--out", dir.toString(), "--time", time, "--batch", "8", "--seq-len", "128", "--lr", "2e-3",
                "--val-every", "0", "--save-every", "200"));
        if (cache != null) cmd.addAll(List.of("--cache", cache.toString()));
        return root.execute(cmd.toArray(String[]::new));
    }

    private static void deleteRun(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
