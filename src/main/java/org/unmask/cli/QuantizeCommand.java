package org.unmask.cli;

import org.unmask.model.io.GgufExport;
import org.unmask.model.io.GgufFileType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code unmask quantize}: a model directory as a GGUF file that llama.cpp and Unmask load. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write a model directory (llada, dream, llada-moe or llama family; an autoregressive run as llama) as a GGUF file of llama.cpp's layout: matrices"
                + " in Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, the K-quant mixes (Q2_K, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M), Q6_K, IQ4_NL or"
                + " IQ4_XS (or f16, bf16, f32), each tensor's type as llama-quantize chooses it.")
public final class QuantizeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV].")
    Path model;

    @Option(names = "--type", required = true, converter = Converters.GgufType.class, paramLabel = "TYPE",
            description = "File type: q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s,"
                    + " q5_k_m, q6_k, iq4_nl or iq4_xs (also f16, bf16, f32). Norms stay f32; the output matrix of a 2- to 6-bit file is q6_k;"
                    + " the mixes give attn_v, ffn_down (and for q2_k and q3_k, attn_output) more bits in the layers"
                    + " llama-quantize does (q4_k_m and q5_k_m: q6_k in the first and last eighth and every third between).")
    GgufFileType type;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer.json to embed in the file's metadata (default:"
            + " the model directory's; llama.cpp loads no GGUF without a tokenizer).")
    Path tokenizer;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "The GGUF file to write.")
    Path out;

    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        int[] n = {0};
        Path dir = ModelDirs.resolve(model);
        // GGUF's llada architecture is a diffusion model, which llama.cpp (and Unmask, reading the file back) would
        // sample with bidirectional attention: an autoregressive run goes out as the llama architecture, run causally
        boolean ar = org.unmask.train.TrainerState.autoregressive(dir);
        GgufExport.Written w = GgufExport.write(dir, type, tokenizer, out, name -> {
            if (++n[0] % 20 == 0) System.err.printf(Locale.ROOT, "quantize: %d tensors...%n", n[0]);
        }, ar);
        StringBuilder types = new StringBuilder();
        w.tensorsByType().forEach((t, c) -> types.append(types.isEmpty() ? "" : ", ").append(t.name().toLowerCase(Locale.ROOT))
                .append(" ").append(c));
        o.printf(Locale.ROOT, "wrote %s%s: %.1f MB, tensors %s, tokenizer %s, %.1f s%n", w.file(),
                ar ? " (an autoregressive run: architecture " + w.architecture() + ")" : "", w.bytes() / 1e6, types,
                w.tokenizer() ? "from " + (tokenizer != null ? tokenizer : "tokenizer.json") : "none (llama.cpp needs one: --tokenizer FILE)",
                (System.nanoTime() - t0) / 1e9);
        o.flush();
        return 0;
    }
}
