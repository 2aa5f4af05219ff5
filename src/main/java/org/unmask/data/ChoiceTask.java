package org.unmask.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One multiple-choice item: a context, the candidate continuations and the index of the right one. Task files are
 * JSONL, one {@code {"context": ..., "choices": [...], "gold": i}} per line.
 */
public record ChoiceTask(String context, List<String> choices, int gold) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads a task file; errors name the file and line. */
    public static List<ChoiceTask> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        List<ChoiceTask> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            String where = file + " line " + (i + 1);
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                throw new IOException(where + ": not valid JSON");
            }
            if (n == null || !n.isObject()) throw new IOException(where + ": expected a JSON object");
            if (!n.path("context").isTextual()) throw new IOException(where + ": missing string field 'context'");
            if (!n.path("choices").isArray() || n.get("choices").isEmpty())
                throw new IOException(where + ": missing non-empty array field 'choices'");
            List<String> choices = new ArrayList<>();
            for (JsonNode c : n.get("choices")) {
                if (!c.isTextual()) throw new IOException(where + ": every choice must be a string");
                choices.add(c.asText());
            }
            if (!n.path("gold").canConvertToInt() || !n.get("gold").isIntegralNumber())
                throw new IOException(where + ": missing integer field 'gold'");
            int gold = n.get("gold").asInt();
            if (gold < 0 || gold >= choices.size())
                throw new IOException(where + ": gold " + gold + " is not an index into " + choices.size() + " choices");
            out.add(new ChoiceTask(n.get("context").asText(), choices, gold));
        }
        if (out.isEmpty()) throw new IOException(file + ": no tasks");
        return out;
    }
}
