package org.unmask.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.unmask.text.ChatMessage;
import org.unmask.text.ChatTemplate;
import org.unmask.text.Tokenizer;

/**
 * Fine-tuning pairs from JSONL, in a model's chat format (LLaDA's, {@link ChatTemplate#llada()}, by default). Each line is either
 * {@code {"prompt": ..., "response": ...}} or {@code {"messages": [{"role": ..., "content": ...}, ...]}}; a conversation
 * gives one sample per assistant turn, whose prompt is the whole history before it with the assistant header, and
 * whose answer is the response, end of turn and end of text. {@code unmask sft} renders them in the model's own chat
 * template (LLaDA's format, {@link #TEMPLATE}, for a model without one) and installs that template in the fine-tuned
 * model's directory, so chat and serve prompt it exactly as it was trained.
 */
public final class SftExamples {

    /** The chat format of a model without its own (LLaDA's), the one our models are fine-tuned in. */
    public static final ChatTemplate TEMPLATE = ChatTemplate.llada();

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    private SftExamples() {}

    /** The conversations of a JSONL (or .jsonl.gz) file, each ending with the assistant turn to learn. */
    public static List<List<ChatMessage>> readConversations(Path jsonl) throws IOException {
        String source = jsonl.toString();
        List<List<ChatMessage>> samples = new ArrayList<>();
        try (BufferedReader reader = open(jsonl)) {
            String line;
            long lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) continue;
                samples.addAll(samplesOf(JsonlDocuments.parseObject(line, source, lineNumber), source, lineNumber));
            }
        }
        if (samples.isEmpty()) throw new IOException(source + ": no fine-tuning examples");
        return samples;
    }

    /** Reads and templates every sample of a JSONL file. */
    public static List<SftExample> read(Path jsonl, Tokenizer tokenizer) throws IOException {
        return read(jsonl, tokenizer, TEMPLATE);
    }

    /** The same rendered in {@code template} (the model's own chat format, as chat and serve prompt it). */
    public static List<SftExample> read(Path jsonl, Tokenizer tokenizer, ChatTemplate template) throws IOException {
        List<SftExample> examples = new ArrayList<>();
        for (List<ChatMessage> conversation : readConversations(jsonl)) examples.add(encode(conversation, tokenizer, template));
        return examples;
    }

    /** Templates one sample: every message but the last is the prompt, the last (assistant) message the answer. */
    public static SftExample encode(List<ChatMessage> conversation, Tokenizer tokenizer) {
        return encode(conversation, tokenizer, TEMPLATE);
    }

    /** The same in {@code template}. */
    public static SftExample encode(List<ChatMessage> conversation, Tokenizer tokenizer, ChatTemplate template) {
        if (conversation.isEmpty()) throw new IllegalArgumentException("empty conversation");
        ChatMessage answer = conversation.getLast();
        if (!answer.role().equals("assistant")) {
            throw new IllegalArgumentException("the last message must be the assistant's answer, found role \"" + answer.role() + "\"");
        }
        // without its special tokens a tokenizer would spell the template's markers out as ordinary text
        for (String token : template.requiredTokens()) {
            if (tokenizer.tokenId(token).isEmpty()) {
                throw new IllegalArgumentException("the tokenizer has no " + token + " token, which the chat template needs");
            }
        }
        // encoding the whole prompt at once splits it around the special tokens the way the tokenizer does at inference
        int[] prompt = tokenizer.encode(template.prompt(conversation.subList(0, conversation.size() - 1)), false);
        return new SftExample(prompt, tokenizer.encode(template.answer(conversation), false));
    }

    private static List<List<ChatMessage>> samplesOf(JsonNode object, String source, long line) {
        if (object.has("messages")) {
            JsonNode messages = object.get("messages");
            if (!messages.isArray()) {
                throw new CorpusFormatException(source, line, "field \"messages\" is " + JsonlDocuments.describe(messages) + ", expected an array");
            }
            List<ChatMessage> turns = new ArrayList<>();
            List<List<ChatMessage>> samples = new ArrayList<>();
            for (int i = 0; i < messages.size(); i++) {
                JsonNode m = messages.get(i);
                String where = "messages[" + i + "]";
                if (!m.isObject()) throw new CorpusFormatException(source, line, where + " is " + JsonlDocuments.describe(m) + ", expected an object");
                String role = stringField(m, "role", where, source, line).toLowerCase(Locale.ROOT);
                String content = stringField(m, "content", where, source, line);
                if (!ROLES.contains(role)) {
                    throw new CorpusFormatException(source, line, where + ": unknown role \"" + role + "\" (expected system, user or assistant)");
                }
                turns.add(new ChatMessage(role, content));
                if (role.equals("assistant")) {
                    if (turns.stream().noneMatch(t -> t.role().equals("user"))) {
                        throw new CorpusFormatException(source, line, where + ": an assistant turn before any user turn");
                    }
                    samples.add(List.copyOf(turns));
                }
            }
            if (samples.isEmpty()) throw new CorpusFormatException(source, line, "conversation has no assistant turn to learn");
            return samples;
        }
        if (object.has("prompt") || object.has("response")) {
            String prompt = JsonlDocuments.field(object, "prompt", source, line);
            String response = JsonlDocuments.field(object, "response", source, line);
            return List.of(List.of(new ChatMessage("user", prompt), new ChatMessage("assistant", response)));
        }
        throw new CorpusFormatException(source, line, "expected fields \"prompt\" and \"response\", or \"messages\"");
    }

    private static String stringField(JsonNode m, String name, String where, String source, long line) {
        JsonNode v = m.get(name);
        if (v == null || !v.isTextual()) {
            throw new CorpusFormatException(source, line, where + ": " + (v == null ? "missing field \"" + name + "\""
                    : "field \"" + name + "\" is " + JsonlDocuments.describe(v) + ", expected a string"));
        }
        return v.asText();
    }

    private static BufferedReader open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz")) in = new GZIPInputStream(in, 1 << 16);
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    }
}
