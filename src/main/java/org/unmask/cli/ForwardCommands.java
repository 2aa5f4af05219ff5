package org.unmask.cli;

import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.TrainableModel;
import org.unmask.model.LogitShift;
import org.unmask.model.ModelConfig;
import org.unmask.model.Parameters;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.SafetensorsWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code unmask logits} and {@code unmask grad}: one forward (and backward) pass, written as safetensors. */
final class ForwardCommands {
    private ForwardCommands() {}

    /** Parses a space-separated id list and checks every id against the embedding. */
    static int[] parseIds(String option, String text, ModelConfig config) {
        int[] ids = Ids.parse(text, option);
        if (ids.length == 0) throw new IllegalArgumentException(option + " is empty");
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= config.embeddingSize()) {
                throw new IllegalArgumentException(option + ": id " + ids[i] + " (item " + (i + 1)
                        + ") is outside the model's vocabulary [0, " + config.embeddingSize() + ")");
            }
        }
        return ids;
    }

    @Command(name = "logits", mixinStandardHelpOptions = true,
            description = "One forward pass over a token sequence, for any model family; writes the F32 tensor 'logits' [T, V]"
                    + " to a safetensors file. The logits are the raw Hugging Face forward output (Dream's: unshifted).")
    static final class Logits implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Model directory (config.json + safetensors), a GGUF file, or a Hub model ORG/NAME[@REV].") Path model;
        @Option(names = "--ids", required = true, description = "Space-separated token ids.") String ids;
        @Option(names = "--out", required = true, description = "Output safetensors file.") Path out;
        @Option(names = "--block-length", paramLabel = "N",
                description = "Block-causal attention: blocks of N tokens aligned at position 0 see their own and earlier"
                        + " blocks (default: bidirectional; causal for a causal LM such as Llama).") Integer blockLength;

        @Override public Integer call() throws Exception {
            if (blockLength != null && blockLength <= 0)
                throw new IllegalArgumentException("--block-length must be positive, got " + blockLength);
            long t0 = System.nanoTime();
            try (Checkpoint ckpt = Checkpoint.open(ModelDirs.resolve(model))) {
                ModelConfig c = ckpt.config();
                // the Hugging Face forward of a causal LM (Llama) is causal
                AttentionPattern pattern = blockLength != null ? AttentionPattern.blockCausal(blockLength)
                        : c.family().autoregressive() ? AttentionPattern.CAUSAL : AttentionPattern.BIDIRECTIONAL;
                int[] tokens = parseIds("--ids", ids, c);
                TrainableModel m = c.family().engine(c, ckpt.tensors(), false);
                long t1 = System.nanoTime();
                float[] logits = m.logits(tokens, 1, tokens.length, null, null, pattern);
                long t2 = System.nanoTime();
                SafetensorsWriter.writeF32(out, Map.of("logits", logits),
                        Map.of("logits", new long[]{tokens.length, c.embeddingSize()}));
                System.err.printf("logits: %d tokens, load %.2f s, forward %.2f s, wrote %s%n", tokens.length,
                        (t1 - t0) / 1e9, (t2 - t1) / 1e9, out);
            }
            return 0;
        }
    }

    @Command(name = "grad", mixinStandardHelpOptions = true,
            description = "The LLaDA pretraining loss of one (clean, noisy) pair and the gradient of every parameter, as F32 safetensors"
                    + " (a model with a logit shift scores each mask from the position before it).")
    static final class Grad implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Model directory, or a Hub model ORG/NAME[@REV] (see pull).") Path model;
        @Option(names = "--ids", required = true, description = "Clean token ids.") String ids;
        @Option(names = "--noisy-ids", required = true, description = "Noisy token ids (mask id where masked).") String noisyIds;
        @Option(names = "--p-mask", required = true, description = "Masking probability p of this sample.") double pMask;
        @Option(names = "--out", required = true, description = "Output safetensors file.") Path out;

        @Override public Integer call() throws Exception {
            if (!(pMask > 0 && pMask <= 1)) throw new IllegalArgumentException("--p-mask must be in (0, 1], got " + pMask);
            try (Checkpoint ckpt = Checkpoint.open(ModelDirs.resolve(model))) {
                ModelConfig c = ckpt.config();
                int[] clean = parseIds("--ids", ids, c);
                int[] noisy = parseIds("--noisy-ids", noisyIds, c);
                if (clean.length != noisy.length) {
                    throw new IllegalArgumentException("--ids has " + clean.length + " tokens but --noisy-ids has " + noisy.length);
                }
                int T = clean.length;
                List<Integer> masked = new ArrayList<>();
                for (int t = 0; t < T; t++) if (noisy[t] == c.maskTokenId()) masked.add(t);
                int[] rows = masked.stream().mapToInt(Integer::intValue).toArray();
                int[] targets = new int[rows.length];
                float[] weights = new float[rows.length];
                for (int i = 0; i < rows.length; i++) {
                    targets[i] = clean[rows[i]];
                    weights[i] = (float) (1.0 / (pMask * T));
                }
                TrainableModel m = c.family().engine(c, ckpt.tensors(), true);
                Parameters p = m.parameters();
                p.zeroGrads();
                // a model with a logit shift (shift_logits, Dream) scores the mask at t from the output at t − 1, as it trains
                int[] scored = c.logitShift() ? LogitShift.previous(rows, 1, T) : rows;
                double loss = m.forwardBackward(noisy, 1, T, null, AttentionPattern.BIDIRECTIONAL, scored, targets, weights);
                Map<String, float[]> tensors = new LinkedHashMap<>();
                Map<String, long[]> shapes = new LinkedHashMap<>();
                tensors.put("loss", new float[]{(float) loss});
                shapes.put("loss", new long[]{1});
                for (Parameters.Parameter param : p.list()) {
                    float[] g = new float[param.size()];
                    System.arraycopy(p.grads(), param.offset(), g, 0, g.length);
                    tensors.put(param.name(), g);
                    shapes.put(param.name(), param.shape());
                }
                SafetensorsWriter.writeF32(out, tensors, shapes);
            }
            return 0;
        }
    }
}
