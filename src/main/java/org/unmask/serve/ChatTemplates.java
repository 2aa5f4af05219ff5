package org.unmask.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds a model's chat template in {@code tokenizer_config.json}, or falls back to the LLaDA-style default. */
public final class ChatTemplates {

    private ChatTemplates() {}

    /** BOS of our own tokenizers (briefing) and of the default template. */
    public static final String DEFAULT_BOS = "<|startoftext|>";
    /** EOS / padding of our own tokenizers. */
    public static final String DEFAULT_EOS = "<|endoftext|>";

    /**
     * LLaDA-style template: BOS, then {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>} per
     * message (content trimmed), then the assistant header when a generation prompt is asked for.
     */
    public static final String DEFAULT_TEMPLATE =
            "{% for message in messages %}"
            + "{% if loop.first %}{{ bos_token }}{% endif %}"
            + "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The default LLaDA-style template with our tokenizers' BOS and EOS. */
    public static ChatTemplate llada() { return new ChatTemplate(DEFAULT_TEMPLATE, DEFAULT_BOS, DEFAULT_EOS); }

    /**
     * The template of {@code modelDir/tokenizer_config.json} ({@code chat_template} as a string, or the one named
     * "default" in a list of named templates) with its {@code bos_token}/{@code eos_token}; the LLaDA-style default
     * when the file or the field is absent.
     */
    public static ChatTemplate load(Path modelDir) throws IOException {
        Path file = modelDir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(file)) return llada();
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": expected a JSON object");
        String bos = tokenString(root.get("bos_token"), DEFAULT_BOS);
        String eos = tokenString(root.get("eos_token"), DEFAULT_EOS);
        JsonNode t = root.get("chat_template");
        if (t == null || t.isNull()) return llada();
        if (t.isTextual()) return new ChatTemplate(t.asText(), bos, eos);
        if (t.isArray()) {
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual())
                    return new ChatTemplate(named.get("template").asText(), bos, eos);
            }
            throw new IOException(file + ": chat_template is a list without a template named \"default\"");
        }
        throw new IOException(file + ": chat_template must be a string or a list of {name, template}");
    }

    private static String tokenString(JsonNode n, String fallback) {
        if (n == null || n.isNull()) return fallback;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").asText(); // AddedToken form
        return fallback;
    }

    /**
     * Writes the LLaDA-style template (and BOS/EOS when absent) into {@code modelDir/tokenizer_config.json}, keeping
     * its other fields; atomic (temp file + rename). Used for models trained by {@code unmask sft}.
     */
    public static void writeDefault(Path modelDir) throws IOException {
        Path file = modelDir.resolve("tokenizer_config.json");
        ObjectNode root;
        if (Files.isRegularFile(file)) {
            JsonNode n;
            try {
                n = JSON.readTree(file.toFile());
            } catch (IOException e) {
                throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
            }
            if (n == null || !n.isObject()) throw new IOException(file + ": expected a JSON object");
            root = (ObjectNode) n;
        } else {
            Files.createDirectories(modelDir);
            root = JSON.createObjectNode();
        }
        if (!root.has("bos_token")) root.put("bos_token", DEFAULT_BOS);
        if (!root.has("eos_token")) root.put("eos_token", DEFAULT_EOS);
        root.put("chat_template", DEFAULT_TEMPLATE);
        AtomicFile.write(file, tmp -> JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root));
    }
}
