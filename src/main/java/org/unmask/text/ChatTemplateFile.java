package org.unmask.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The chat template fields of a model directory's {@code tokenizer_config.json}: read, and written atomically. */
final class ChatTemplateFile {
    private ChatTemplateFile() {}

    static final String NAME = "tokenizer_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The template the file declares; empty when the file or its {@code chat_template} field is absent. */
    static Optional<ChatTemplate> read(Path modelDir) throws IOException {
        Path file = modelDir.resolve(NAME);
        if (!Files.isRegularFile(file)) return Optional.empty();
        JsonNode root = object(file);
        String bos = tokenString(root.get("bos_token"), SpecialTokens.BOS);
        String eos = tokenString(root.get("eos_token"), SpecialTokens.EOS);
        JsonNode t = root.get("chat_template");
        if (t == null || t.isNull()) return Optional.empty();
        if (t.isTextual()) return Optional.of(new ChatTemplate(t.asText(), bos, eos));
        if (t.isArray()) {
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual())
                    return Optional.of(new ChatTemplate(named.get("template").asText(), bos, eos));
            }
            throw new IOException(file + ": chat_template is a list without a template named \"default\"");
        }
        throw new IOException(file + ": chat_template must be a string or a list of {name, template}");
    }

    /** Sets {@code chat_template} (and BOS/EOS when absent), keeping the file's other fields. */
    static void write(Path modelDir, ChatTemplate template) throws IOException {
        Path file = modelDir.resolve(NAME);
        ObjectNode root = Files.isRegularFile(file) ? object(file) : JSON.createObjectNode();
        if (!root.has("bos_token")) root.put("bos_token", template.bosToken());
        if (!root.has("eos_token")) root.put("eos_token", template.eosToken());
        root.put("chat_template", template.source());
        AtomicFile.write(file, tmp -> JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root));
    }

    private static ObjectNode object(Path file) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) throw new IOException(file + ": expected a JSON object");
        return (ObjectNode) n;
    }

    private static String tokenString(JsonNode n, String fallback) {
        if (n == null || n.isNull()) return fallback;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").asText(); // AddedToken form
        return fallback;
    }
}
