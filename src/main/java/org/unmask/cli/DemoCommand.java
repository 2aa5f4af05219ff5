package org.unmask.cli;

import org.unmask.train.DurationParser;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code unmask demo}: the first thing a newcomer runs. Animates the model shipped in {@code models/} writing by
 * unmasking, live in the terminal and as a GIF, in seconds; {@code --train} instead trains the micro preset on the
 * shipped corpus for a few minutes (or reuses the model it trained before) and animates that one.
 *
 * <p>The few minutes take the shipped model's route, an autoregressive model first (docs/training.md): three
 * quarters of them on the AR model, the rest adapting it to block diffusion in blocks of {@value #BLOCK_SIZE}. From
 * scratch, masked diffusion learns far more slowly than next-token prediction, and the adaptation keeps what the AR
 * stage learnt (measured in docs/training.md on the split's opening Bible windows: 2.04 bits/byte in 5 minutes against
 * 2.58 from scratch). The adaptation runs at a quarter of the AR stage's peak rate and masks from 60 % to all of each
 * block's tokens, which lowered the bound by 0.11 bits/token against 1e-3 and rates from [0.2, 0.8]; on the whole
 * split the 5-minute model of the tiny preset was at 2.19-2.20 bits/byte on an AVX-512 machine and 2.25 on an AVX2
 * one, which trains at 0.6 times the speed (docs/training.md, "The demo's block stage"). The micro preset (d 96, 3
 * layers) trains about 2.8 times as many tokens in the same minutes and ends lower on both (docs/training.md, "The
 * demo's model shape"): at this budget the model is starved of tokens, not of parameters.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Watch the shipped diffusion LM (" + DemoCommand.SHIPPED + ") write by unmasking and save the animation "
                + "as a GIF; with --train, first train a tiny one on the shipped corpus (about 5 minutes on 2 cores)."})
public final class DemoCommand implements Callable<Integer> {
    /** The model the repository ships, relative to its root. */
    static final String SHIPPED = "models/unmask-bible-9m";
    /** Block size of the model {@code --train} makes. */
    static final int BLOCK_SIZE = 4;
    /** Share of {@code --time} spent on the autoregressive stage. */
    static final double AR_SHARE = 0.75;

    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR",
            description = "The model to animate (default: " + SHIPPED + " of this checkout).")
    Path model;

    @Option(names = "--train", description = "Train a tiny model for --time first (or reuse the one in --dir) and animate it "
            + "instead: an autoregressive model for three quarters of the time, then adapted to block diffusion.")
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
            + "generation_config.json or its block_size).")
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
            // the trained model is a block-diffusion model: it generates in its own blocks, so no --block-length
            if (blockLength != null) settings.addAll(List.of("--block-length", blockLength.toString()));
            settings.addAll(List.of("--temperature", Double.toString(temperature != null ? temperature : 1.0),
                    "--remasking", "low_confidence"));
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
        Path ar = arStage(dir);
        for (Path run : List.of(dir, ar)) if (Files.exists(run)) deleteRun(run);
        Duration total = DurationParser.parse(time);
        Duration arTime = Duration.ofMillis(Math.round(total.toMillis() * AR_SHARE)), adaptTime = total.minus(arTime);
        err.println("demo: training the micro preset on the shipped corpus for " + time + ": an autoregressive model for "
                + DurationParser.format(arTime) + " into " + ar + ", then block diffusion (blocks of " + BLOCK_SIZE + ") for "
                + DurationParser.format(adaptTime) + " into " + dir);
        err.flush();
        int code = train(root, List.of("--preset", "micro", "--objective", "ar", "--out", ar.toString(),
                "--time", DurationParser.format(arTime), "--lr", "2e-3", "--save-every", "200"));
        if (code != 0) return code;
        return train(root, List.of("--init-from", ar.toString(), "--objective", "block", "--block-size", Integer.toString(BLOCK_SIZE),
                "--out", dir.toString(), "--time", DurationParser.format(adaptTime), "--lr", "5e-4", "--warmup", "20",
                "--mask-rate-range", "0.6,1", "--save-every", "100"));
    }

    /** Where {@code --train} keeps its autoregressive stage: beside the demo model, named after it. */
    static Path arStage(Path dir) {
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return dir.resolveSibling((name == null ? "demo" : name.toString()) + "-ar");
    }

    /** One {@code unmask train} run on the shipped corpus with the demo's batch shape. */
    private int train(CommandLine root, List<String> stage) {
        List<String> cmd = new ArrayList<>(List.of("train", "--corpus", "default", "--batch", "8", "--seq-len", "128",
                "--val-every", "0"));
        cmd.addAll(stage);
        if (cache != null) cmd.addAll(List.of("--cache", cache.toString()));
        // a fresh command line per stage: picocli keeps an argument group's values (--preset) between executions
        CommandLine fresh = Main.commandLine();
        fresh.setOut(root.getOut());
        fresh.setErr(root.getErr());
        return fresh.execute(cmd.toArray(String[]::new));
    }

    private static void deleteRun(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
