package org.unmask.serve;

import org.unmask.text.ChatMessage;
import org.unmask.text.ChatTemplate;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.unmask.diffusion.SamplerConfig;

import java.util.ArrayList;
import java.util.List;

import static org.unmask.serve.JsonFields.kind;
import static org.unmask.serve.JsonFields.optBool;
import static org.unmask.serve.JsonFields.optInt;
import static org.unmask.serve.JsonFields.optString;

/**
 * Turns an OpenAI-style JSON body into a {@link GenerationRequest}, naming the first bad field in a 400 error.
 * Every sampling setting travels as an extra field named by its {@link org.unmask.diffusion.Setting#key()} (see
 * {@link SamplingFields}); the generation length is OpenAI's max_tokens / max_completion_tokens.
 */
public final class RequestParser {

    /** Generation length when a request gives no max_tokens (capped by the engine). */
    public static final int DEFAULT_GEN_LENGTH = 128;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final GenerationEngine engine;
    private final ChatTemplate template;

    /** A parser for requests to {@code engine}, rendering chat messages with {@code template}. */
    public RequestParser(GenerationEngine engine, ChatTemplate template) {
        this.engine = engine;
        this.template = template;
    }

    /** Parses and validates {@code body} for {@code endpoint}. */
    public ParsedRequest parse(byte[] body, ParsedRequest.Endpoint endpoint) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.invalid("We could not parse the JSON body of your request: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")",
                    null, "invalid_json");
        } catch (java.io.IOException e) {
            throw ApiError.invalid("We could not read the body of your request: " + e.getMessage(), null, "invalid_json");
        }
        if (root == null || root.isMissingNode())
            throw ApiError.invalid("The request body is empty; expected a JSON object.", null, "invalid_json");
        if (!root.isObject())
            throw ApiError.invalid("The request body must be a JSON object, not " + kind(root) + ".", null, "invalid_json");

        String model = optString(root, "model");
        if (model != null && !model.equals(engine.modelId()))
            throw new ApiError(404, "invalid_request_error", "The model '" + model + "' does not exist; this server"
                    + " serves '" + engine.modelId() + "'.", "model", "model_not_found");

        int[] prompt = switch (endpoint) {
            case COMPLETIONS -> promptIds(root);
            case CHAT -> chatIds(root);
            case UNMASK -> root.has("messages") ? chatIds(root) : promptIds(root);
        };

        Integer n = optInt(root, "n");
        if (n != null && n != 1) throw ApiError.invalid("Only n=1 is supported; got n=" + n + ".", "n");

        Integer maxTokens = optInt(root, "max_tokens");
        String genParam = "max_tokens";
        if (maxTokens == null && endpoint != ParsedRequest.Endpoint.COMPLETIONS) {
            maxTokens = optInt(root, "max_completion_tokens");
            genParam = "max_completion_tokens";
        }
        int genLength = maxTokens != null ? maxTokens : Math.min(DEFAULT_GEN_LENGTH, engine.maxGenLength());
        if (genLength <= 0) throw ApiError.invalid(genParam + " must be a positive integer; got " + genLength + ".", genParam);
        if (genLength > engine.maxGenLength())
            throw ApiError.invalid(genParam + " is " + genLength + ", over this model's limit of "
                    + engine.maxGenLength() + " generated tokens.", genParam);
        if (prompt.length + genLength > engine.maxSequenceLength())
            throw ApiError.invalid("The prompt (" + prompt.length + " tokens) plus " + genLength
                    + " generated tokens exceeds the model's context of " + engine.maxSequenceLength() + " tokens.",
                    endpoint == ParsedRequest.Endpoint.COMPLETIONS ? "prompt" : "messages", "context_length_exceeded");

        SamplerConfig sampling = SamplingFields.read(root, genLength, genParam, engine.vocabulary(), engine.generationDefaults());
        List<String> stop = stops(root);
        Boolean stream = optBool(root, "stream");
        boolean includeUsage = false;
        JsonNode so = root.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiError.invalid("stream_options must be an object; got " + kind(so) + ".", "stream_options");
            Boolean iu = optBool(so, "include_usage");
            includeUsage = iu != null && iu;
        }
        GenerationRequest gen = new GenerationRequest(prompt, sampling, stop);
        return new ParsedRequest(endpoint, model == null ? engine.modelId() : model, gen,
                stream != null && stream, includeUsage);
    }

    private int[] promptIds(JsonNode root) {
        JsonNode p = root.get("prompt");
        if (p == null || p.isNull())
            throw ApiError.invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
        if (p.isTextual()) return encode(p.asText());
        if (p.isArray()) {
            if (p.size() == 1 && p.get(0).isTextual()) return encode(p.get(0).asText());
            boolean allInts = p.size() > 0;
            for (JsonNode t : p) allInts &= t.isIntegralNumber() && t.canConvertToInt();
            if (allInts) {
                int[] ids = new int[p.size()];
                int vocab = engine.vocabulary().tokenizer().vocabSize();
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = p.get(i).asInt();
                    if (ids[i] < 0 || ids[i] >= vocab)
                        throw ApiError.invalid("prompt token " + ids[i] + " at index " + i + " is outside the vocabulary [0, "
                                + vocab + ").", "prompt");
                }
                return ids;
            }
            throw ApiError.invalid("prompt must be a string, an array holding one string, or an array of token ids"
                    + " (only one prompt per request is supported).", "prompt");
        }
        throw ApiError.invalid("prompt must be a string; got " + kind(p) + ".", "prompt");
    }

    private int[] chatIds(JsonNode root) {
        JsonNode ms = root.get("messages");
        if (ms == null || ms.isNull())
            throw ApiError.invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        if (!ms.isArray()) throw ApiError.invalid("messages must be an array; got " + kind(ms) + ".", "messages");
        if (ms.isEmpty()) throw ApiError.invalid("messages must hold at least one message.", "messages");
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) throw ApiError.invalid(where + " must be an object; got " + kind(m) + ".", where);
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || role.asText().isBlank())
                throw ApiError.invalid(where + ".role must be a non-empty string.", where + ".role");
            messages.add(new ChatMessage(role.asText(), content(m.get("content"), where + ".content")));
        }
        String text;
        try {
            text = template.render(messages, true);
        } catch (RuntimeException e) {
            throw ApiError.invalid("The chat template rejected the messages: " + e.getMessage(), "messages");
        }
        return engine.vocabulary().tokenizer().encode(text, false);
    }

    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) throw ApiError.invalid(where + " is required.", where);
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {  // content parts: only text parts are meaningful to a text model
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                JsonNode part = c.get(i);
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual())
                    throw ApiError.invalid(where + "[" + i + "] must be a {\"type\": \"text\", \"text\": ...} part.",
                            where + "[" + i + "]");
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw ApiError.invalid(where + " must be a string or an array of text parts; got " + kind(c) + ".", where);
    }

    private int[] encode(String text) { return engine.vocabulary().tokenizer().encode(text, false); }

    private static List<String> stops(JsonNode root) {
        JsonNode s = root.get("stop");
        if (s == null || s.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (s.isTextual()) out.add(s.asText());
        else if (s.isArray()) {
            if (s.size() > 4) throw ApiError.invalid("stop may hold at most 4 strings; got " + s.size() + ".", "stop");
            for (JsonNode t : s) {
                if (!t.isTextual()) throw ApiError.invalid("stop must be a string or an array of strings; found "
                        + kind(t) + ".", "stop");
                out.add(t.asText());
            }
        } else throw ApiError.invalid("stop must be a string or an array of strings; got " + kind(s) + ".", "stop");
        for (String t : out) if (t.isEmpty()) throw ApiError.invalid("stop strings must not be empty.", "stop");
        return out;
    }
}
