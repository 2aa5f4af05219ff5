package org.unmask.cli;

import org.unmask.model.io.GgufExport;
import org.unmask.model.tensor.DType;
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
        description = "Write a model directory (llada or dream family) as a GGUF file with its matrices in Q8_0 or Q4_0"
                + " (or f16, bf16, f32), laid out as llama.cpp's converter and llama-quantize write them.")
public final class QuantizeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV].")
    Path model;

    @Option(names = "--type", required = true, converter = Converters.WeightType.class, paramLabel = "q8_0|q4_0",
            description = "Storage type of the matrices: q8_0 or q4_0 (also f16, bf16, f32). Norms stay f32; with q4_0 the"
                    + " output matrix is q8_0.")
    DType type;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "The GGUF file to write.")
    Path out;

    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        int[] n = {0};
        GgufExport.Written w = GgufExport.write(ModelDirs.resolve(model), type, out, name -> {
            if (++n[0] % 20 == 0) System.err.printf(Locale.ROOT, "quantize: %d tensors...%n", n[0]);
        });
        StringBuilder types = new StringBuilder();
        w.tensorsByType().forEach((t, c) -> types.append(types.isEmpty() ? "" : ", ").append(t.name().toLowerCase(Locale.ROOT))
                .append(" ").append(c));
        o.printf(Locale.ROOT, "wrote %s: %.1f MB, tensors %s, tokenizer %s, %.1f s%n", w.file(), w.bytes() / 1e6, types,
                w.tokenizer() ? "from tokenizer.json" : "none", (System.nanoTime() - t0) / 1e9);
        o.flush();
        return 0;
    }
}
