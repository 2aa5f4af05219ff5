package org.unmask.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Documents of a JSON Lines stream: the string field {@code textField} of each non-blank line's object. */
final class JsonlDocuments extends LookaheadDocuments {

    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private final BufferedReader reader;
    private final String source;
    private final String textField;
    private long lineNumber;

    JsonlDocuments(BufferedReader reader, String source, String textField) {
        this.reader = reader;
        this.source = source;
        this.textField = textField;
    }

    @Override
    String readNext() {
        try {
            String line;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) continue;
                String text = field(parseObject(line, source, lineNumber), textField, source, lineNumber);
                if (!text.isEmpty()) return text;
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(source + ": " + e.getMessage(), e);
        }
    }

    /** The JSON object of one line, or a {@link CorpusFormatException} naming the file and line. */
    static JsonNode parseObject(String line, String source, long lineNumber) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new CorpusFormatException(source, lineNumber, "malformed JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new CorpusFormatException(source, lineNumber, "expected a JSON object, found " + describe(node));
        }
        return node;
    }

    /** A string field of an object, or a {@link CorpusFormatException} when it is missing or not a string. */
    static String field(JsonNode object, String name, String source, long lineNumber) {
        JsonNode value = object.get(name);
        if (value == null || value.isNull()) {
            throw new CorpusFormatException(source, lineNumber, "missing field \"" + name + "\"");
        }
        if (!value.isTextual()) {
            throw new CorpusFormatException(source, lineNumber, "field \"" + name + "\" is " + describe(value) + ", expected a string");
        }
        return value.asText();
    }

    static String describe(JsonNode node) {
        if (node == null) return "nothing";
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
