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
 * {@code unmask demo}: the first thing a newcomer runs. Trains the tiny preset on the shipped corpus (or reuses the
 * model it trained before), then lets it write a continuation by unmasking, live in the terminal and as a GIF.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Train a tiny diffusion LM on the shipped corpus (about 5 minutes on 2 cores), or reuse the one "
                + "trained before, then watch it write by unmasking and save the animation as a GIF."})
public final class DemoCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--dir", defaultValue = "runs/demo", paramLabel = "DIR",
            description = "Where the demo model lives (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--time", defaultValue = "5m", paramLabel = "DURATION",
            description = "Training time when no demo model exists yet (default: ${DEFAULT-VALUE}).")
    String time;

    @Option(names = "--retrain", description = "Train a new demo model even if one exists (the old one is replaced).")
    boolean retrain;

    @Option(names = "--prompt", defaultValue = "And God said,", paramLabel = "TEXT",
            description = "Text the model continues (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--gen-length", defaultValue = "64", description = "Tokens to write (default: ${DEFAULT-VALUE}).")
    int genLength;

    @Option(names = "--block-length", defaultValue = "16", description = "Semi-autoregressive block (default: ${DEFAULT-VALUE}).")
    int blockLength;

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
        boolean exists = RunCheckpoint.exists(dir);
        if (exists && !retrain) {
            err.println("demo: reusing the model trained before in " + dir + " (--retrain to train a new one)");
        } else {
            if (exists) deleteRun(dir);
            err.println("demo: training the tiny preset on the shipped corpus for " + time + " into " + dir);
            List<String> train = new ArrayList<>(List.of("train", "--corpus", "default", "--preset", "tiny",
                    "--out", dir.toString(), "--time", time, "--batch", "8", "--seq-len", "128", "--lr", "2e-3",
                    "--val-every", "0", "--save-every", "200"));
            if (cache != null) train.addAll(List.of("--cache", cache.toString()));
            int code = root.execute(train.toArray(String[]::new));
            if (code != 0) return code;
        }
        err.println("demo: unmasking " + genLength + " tokens after \"" + prompt + "\" (blocks of " + blockLength
                + ", one token per step, low-confidence remasking)");
        err.flush();
        List<String> args = new ArrayList<>(List.of("generate", "--model", dir.toString(), "--prompt", prompt,
                "--gen-length", Integer.toString(genLength), "--steps", Integer.toString(genLength),
                "--block-length", Integer.toString(blockLength), "--temperature", "1.0", "--seed", Long.toString(seed),
                "--animate", "--gif", gif.toString()));
        int code = root.execute(args.toArray(String[]::new));
        if (code == 0) err.println("demo: wrote " + gif);
        return code;
    }

    private static void deleteRun(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
