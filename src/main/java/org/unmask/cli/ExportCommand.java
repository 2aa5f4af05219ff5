package org.unmask.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.files.AtomicFile;
import org.unmask.model.GenerationDefaults;
import org.unmask.model.LlamaFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.ModelTensors;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;
import org.unmask.text.ChatTemplate;
import org.unmask.text.HfTokenizer;
import org.unmask.text.SpecialTokens;
import org.unmask.text.Tokenizer;
import org.unmask.train.TrainerState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code unmask export}: turns a training run into a model directory to ship: config.json, the weights in the chosen
 * precision, tokenizer.json and a tokenizer_config.json naming the special tokens, without the optimizer state,
 * trainer state and metrics; an autoregressive run is written as the Llama model it is ({@code LlamaForCausalLM}).
 * Other files already in the target (a model card) are kept. A GGUF file is exported the same way: its weights
 * dequantized, in Hugging Face order, its tokenizer and sampling settings from the file (or from files beside it).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a training run (or a GGUF file) as a Hugging Face model directory to ship (weights in --dtype, "
                + "tokenizer, no optimizer or trainer state; an autoregressive run as LlamaForCausalLM); a README.md already in "
                + "--out is kept.")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The run (or model) directory to export,"
            + " or a GGUF file (dequantized).")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The model directory to write.")
    Path out;

    @Option(names = "--dtype", defaultValue = "bf16", converter = Converters.FloatType.class, paramLabel = "f32|bf16|f16",
            description = "Storage type of the weights (default: ${DEFAULT-VALUE}).")
    DType dtype;

    @Spec CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override public Integer call() throws Exception {
        boolean gguf = Checkpoint.isGguf(model);
        if (!gguf && !Files.isRegularFile(model.resolve("config.json")))
            throw new IOException(model + ": not a model directory (config.json is missing)");
        if (model.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize()))
            throw new IllegalArgumentException("--out must differ from --model");
        // a GGUF file's companions (tokenizer.json, generation_config.json) lie beside it, as when it is loaded
        Path home = gguf ? model.toAbsolutePath().getParent() : model;
        Path tokFile = home.resolve(HfTokenizer.FILE);
        ModelConfig config;
        HfTokenizer tok;
        java.util.Optional<ChatTemplate> template;
        boolean ar = !gguf && TrainerState.autoregressive(model);
        try (Checkpoint ckpt = Checkpoint.open(model)) {
            config = ckpt.config();
            Map<String, Weights> tensors = ckpt.tensors();
            // an autoregressive run is a Llama model: written as one, other tools run it causally, as it was trained
            if (ar) {
                ModelConfig causal = LlamaFamily.ofAutoregressiveRun(config);
                tensors = ModelTensors.renamed(tensors, config, causal.family());
                config = causal;
            }
            if (Files.isRegularFile(tokFile)) tok = HfTokenizer.load(tokFile);
            else if (gguf) tok = ckpt.ggufTokenizer().orElseThrow(() -> new IOException(model
                    + ": no tokenizer in the file's metadata and no tokenizer.json beside it to ship with the model"));
            else throw new IOException(model + ": no tokenizer.json to ship with the model");
            Checkpoint.save(out, config, tensors, dtype, 4L << 30);
            if (gguf) writeGenerationConfig(model, ckpt, out.resolve(GenerationDefaults.FILE));
            // the chat template: the source's tokenizer_config.json, else (a GGUF file) its metadata
            template = ChatTemplate.declared(home);
            if (template.isEmpty() && gguf) template = ckpt.ggufChatTemplate(tok);
        }
        tok.save(out.resolve(HfTokenizer.FILE));
        writeTokenizerConfig(tok, config, out.resolve("tokenizer_config.json"));
        if (template.isPresent()) template.get().install(out);
        long bytes;
        try (var files = Files.list(out)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "exported %s to %s: %.2fM parameters in %s, %.1f MB on disk%s%n", model, out,
                config.parameterCount() / 1e6, dtype.name().toLowerCase(Locale.ROOT), bytes / 1e6,
                ar ? " (an autoregressive run: written as " + config.family().architectures().getFirst() + ", causal attention)" : "");
        spec.commandLine().getOut().flush();
        return 0;
    }

    /**
     * A GGUF file's sampling settings ({@link GenerationDefaults#GGUF_KEY}, or a generation_config.json beside it) as
     * the directory's generation_config.json, merged into one already in the target.
     */
    private static void writeGenerationConfig(Path gguf, Checkpoint ckpt, Path file) throws IOException {
        java.util.Optional<String> settings = GenerationDefaults.settingsJson(gguf.toAbsolutePath().getParent());
        if (settings.isEmpty()) {
            java.util.Map<String, Object> metadata = ckpt.ggufMetadata().orElseThrow();
            if (!metadata.containsKey(GenerationDefaults.GGUF_KEY)) return;
            GenerationDefaults.fromGguf(metadata, gguf, GenerationDefaults.LLADA);   // a bad value is named here, not copied
            settings = java.util.Optional.of((String) metadata.get(GenerationDefaults.GGUF_KEY));
        }
        ObjectNode n = Files.isRegularFile(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
        n.set(GenerationDefaults.KEY, JSON.readTree(settings.get()));
        AtomicFile.write(file, tmp -> JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), n));
    }

    /** The fields other tools need to use tokenizer.json as a fast tokenizer with our special tokens. */
    private static void writeTokenizerConfig(Tokenizer tok, ModelConfig config, Path file) throws IOException {
        ObjectNode n = Files.isRegularFile(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
        n.put("tokenizer_class", "PreTrainedTokenizerFast");
        if (config.bosTokenIdOrNull() != null) n.put("bos_token", tok.token(config.bosTokenIdOrNull()));
        n.put("eos_token", tok.token(config.eosTokenId()));
        n.put("pad_token", tok.token(config.padTokenId()));
        n.put("mask_token", tok.token(config.maskTokenId()));
        n.put("model_max_length", config.maxSequenceLength());
        AtomicFile.write(file, tmp -> JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), n));
    }
}
