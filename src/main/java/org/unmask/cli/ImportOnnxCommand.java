package org.unmask.cli;

import org.unmask.model.ModelConfig;
import org.unmask.model.io.OnnxBertImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code unmask import-onnx}: a BERT encoder exported to ONNX (all-MiniLM-L6-v2) as a Hugging Face BertModel directory. */
@Command(name = "import-onnx", mixinStandardHelpOptions = true,
        description = "Turn a BERT encoder exported to ONNX (e.g. all-MiniLM-L6-v2) and its tokenizer.json into a Hugging Face"
                + " BertModel directory (config.json, model.safetensors, tokenizer.json) that train --init-from fine-tunes as a"
                + " diffusion LM. The matrices are named by following the graph to their biases; written atomically.")
final class ImportOnnxCommand implements Callable<Integer> {
    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "The ONNX model (initializers inside the file).") Path onnx;
    @Option(names = "--tokenizer", required = true, paramLabel = "FILE", description = "Its WordPiece tokenizer.json.") Path tokenizer;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The model directory to write (replaced atomically).") Path out;

    @Override public Integer call() throws Exception {
        long t0 = System.nanoTime();
        ModelConfig c = OnnxBertImport.write(onnx, tokenizer, out);
        System.out.printf(java.util.Locale.ROOT, "imported %s: BertModel, %d layers, width %d, %d heads, feed-forward %d, vocabulary %d,"
                        + " %d positions, %.1fM parameters, in %.1f s; wrote %s%n", onnx.getFileName(), c.nLayers(), c.dModel(), c.nHeads(),
                c.mlpHiddenSize(), c.vocabSize(), c.maxSequenceLength(), c.parameterCount() / 1e6, (System.nanoTime() - t0) / 1e9, out);
        return 0;
    }
}
