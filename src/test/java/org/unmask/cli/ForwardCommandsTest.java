package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.Transformer;
import org.unmask.model.LladaTensors;
import org.unmask.model.ModelConfig;
import org.unmask.model.Parameters;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.SafetensorsFile;
import org.unmask.model.tensor.DType;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code unmask logits} and {@code unmask grad} checked against each other and against finite differences. */
class ForwardCommandsTest {
    private static final ModelConfig CONFIG = new ModelConfig(16, 2, 4, 2, 24, 13, 13, 32, 10000.0, 1e-5, false, 2, 0, 0, 1);
    private static final String CLEAN = "5 9 3 11 7 8 12 4", NOISY = "5 2 3 2 2 8 12 2";
    private static final double P = 0.4;

    private static int run(String... args) {
        CommandLine_ cl = new CommandLine_();
        return cl.execute(args);
    }

    /** Runs the real command line, capturing its error stream. */
    private static final class CommandLine_ {
        final StringWriter err = new StringWriter();
        int execute(String... args) {
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            return cl.execute(args);
        }
    }

    private static Path save(Transformer m, Path dir) throws Exception {
        Checkpoint.save(dir, m.config(), m.tensors(), DType.F32, Long.MAX_VALUE);
        return dir;
    }

    /** The pretraining loss of the pair, computed here in double from the logits command's output. */
    private static double lossFromLogitsCommand(Path modelDir, Path tmp) throws Exception {
        return lossFromLogitsCommand(modelDir, tmp, false);
    }

    /** The same for a model with a logit shift when {@code shift}: the mask at t is scored by row max(t − 1, 0). */
    private static double lossFromLogitsCommand(Path modelDir, Path tmp, boolean shift) throws Exception {
        Path out = tmp.resolve("logits-" + System.nanoTime() + ".safetensors");
        assertThat(run("logits", "--model", modelDir.toString(), "--ids", NOISY, "--out", out.toString())).isZero();
        String[] clean = CLEAN.split(" "), noisy = NOISY.split(" ");
        int T = clean.length, V = CONFIG.embeddingSize();
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertThat(f.tensors().get("logits").shape()).containsExactly(T, V);
            float[] logits = f.readF32("logits");
            double loss = 0;
            for (int t = 0; t < T; t++) {
                if (Integer.parseInt(noisy[t]) != CONFIG.maskTokenId()) continue;
                int row = shift ? Math.max(t - 1, 0) : t;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int v = 0; v < V; v++) max = Math.max(max, logits[row * V + v]);
                for (int v = 0; v < V; v++) sum += Math.exp(logits[row * V + v] - max);
                loss += (Math.log(sum) + max - logits[row * V + Integer.parseInt(clean[t])]) / P / T;
            }
            return loss;
        }
    }

    /** A model with a logit shift (shift_logits, Dream) is scored as it is trained: each mask from the row before it. */
    @Test
    void gradOfAShiftedModelScoresEachMaskFromThePreviousRow(@TempDir Path tmp) throws Exception {
        Transformer model = Transformer.randomInit(CONFIG.withLogitShift(true), 4);
        Path dir = save(model, tmp.resolve("shifted"));
        Path gradFile = tmp.resolve("grad.safetensors");
        assertThat(run("grad", "--model", dir.toString(), "--ids", CLEAN, "--noisy-ids", NOISY, "--p-mask",
                Double.toString(P), "--out", gradFile.toString())).isZero();
        double shifted = lossFromLogitsCommand(dir, tmp, true), unshifted = lossFromLogitsCommand(dir, tmp, false);
        assertThat(Math.abs(shifted - unshifted)).as("the two scorings differ").isGreaterThan(1e-3);
        try (SafetensorsFile g = SafetensorsFile.open(gradFile)) {
            assertThat((double) g.readF32("loss")[0]).isCloseTo(shifted, within(1e-5 * Math.max(1, shifted)));
        }
    }

    @Test
    void gradWritesTheLossOfTheLogitsAndItsGradient(@TempDir Path tmp) throws Exception {
        Transformer model = Transformer.randomInit(CONFIG, 3);
        Path dir = save(model, tmp.resolve("m"));
        Path gradFile = tmp.resolve("grad.safetensors");
        assertThat(run("grad", "--model", dir.toString(), "--ids", CLEAN, "--noisy-ids", NOISY, "--p-mask",
                Double.toString(P), "--out", gradFile.toString())).isZero();
        double expectedLoss = lossFromLogitsCommand(dir, tmp);
        try (SafetensorsFile g = SafetensorsFile.open(gradFile)) {
            assertThat(g.tensors().get("loss").shape()).containsExactly(1);
            assertThat((double) g.readF32("loss")[0]).isCloseTo(expectedLoss, within(1e-5 * Math.max(1, expectedLoss)));
            assertThat(g.tensors().keySet()).containsAll(LladaTensors.expectedShapes(CONFIG).keySet());
            // finite differences through the logits command on perturbed checkpoints, for a few parameters
            Parameters p = model.parameters();
            String[] names = {LladaTensors.block(1, "q_proj"), LladaTensors.block(0, "ff_out"), LladaTensors.FINAL_NORM,
                    LladaTensors.EMBEDDING};
            for (String name : names) {
                Parameters.Parameter param = p.get(name);
                float[] grad = g.readF32(name);
                int index = (int) (Math.abs((long) name.hashCode()) % param.size());
                float original = p.values()[param.offset() + index];
                double h = 1e-2;
                p.values()[param.offset() + index] = (float) (original + h);
                double up = lossFromLogitsCommand(save(model, tmp.resolve("up")), tmp);
                p.values()[param.offset() + index] = (float) (original - h);
                double down = lossFromLogitsCommand(save(model, tmp.resolve("down")), tmp);
                p.values()[param.offset() + index] = original;
                double numeric = (up - down) / (2 * h);
                assertThat((double) grad[index]).as(name + "[" + index + "]")
                        .isCloseTo(numeric, within(2e-3 + 2e-2 * Math.abs(numeric)));
            }
        }
    }

    @Test
    void badIdsAreNamed(@TempDir Path tmp) throws Exception {
        Path dir = save(Transformer.randomInit(CONFIG, 3), tmp.resolve("m"));
        CommandLine_ cl = new CommandLine_();
        assertThat(cl.execute("logits", "--model", dir.toString(), "--ids", "1 99", "--out", tmp.resolve("x").toString())).isEqualTo(1);
        assertThat(cl.err.toString()).contains("id 99").contains("item 2");
        CommandLine_ cl2 = new CommandLine_();
        assertThat(cl2.execute("grad", "--model", dir.toString(), "--ids", "1 2 3", "--noisy-ids", "1 2", "--p-mask", "0.5",
                "--out", tmp.resolve("y").toString())).isEqualTo(1);
        assertThat(cl2.err.toString()).contains("--noisy-ids has 2");
    }
}
