package org.unmask.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The chat format: how a conversation becomes the text a model reads. A Hugging Face chat template (Jinja), either
 * the model's own from {@code tokenizer_config.json} or the LLaDA-style fallback, rendered with Jinjava under the
 * settings transformers uses: trim_blocks and lstrip_blocks, variables {@code messages}, {@code bos_token},
 * {@code eos_token}, {@code add_generation_prompt}, and a {@code raise_exception} function. Fine-tuning prompts,
 * {@code generate --chat}, {@code chat} and the server all render through this class.
 */
public final class ChatTemplate {

    /**
     * The LLaDA-style template: BOS, then {@code <|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>} per
     * message (content trimmed), then the assistant header when a generation prompt is asked for.
     */
    public static final String LLADA_JINJA =
            "{% for message in messages %}"
            + "{% if loop.first %}{{ bos_token }}{% endif %}"
            + SpecialTokens.START_HEADER + "{{ message['role'] }}" + SpecialTokens.END_HEADER
            + "\n\n{{ message['content'] | trim }}" + SpecialTokens.END_OF_TURN
            + "{% endfor %}"
            + "{% if add_generation_prompt %}" + SpecialTokens.START_HEADER + "assistant" + SpecialTokens.END_HEADER
            + "\n\n{% endif %}";

    private static final ChatTemplate LLADA = new ChatTemplate(LLADA_JINJA, SpecialTokens.BOS, SpecialTokens.EOS);

    /** ChatML (Qwen2, Dream): {@code <|im_start|>ROLE\nCONTENT<|im_end|>\n} per message, then the assistant's header. */
    public static final String CHATML_JINJA =
            "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    /**
     * Ling 2.0's format (LLaDA 2.x): {@code <role>ROLE</role>CONTENT<|role_end|>} per message with the roles SYSTEM,
     * HUMAN and ASSISTANT, then the assistant's role tag.
     */
    public static final String LING_JINJA =
            "{% for message in messages %}<role>"
            + "{% if message['role'] == 'system' %}SYSTEM{% elif message['role'] == 'user' %}HUMAN{% elif message['role'] == 'assistant' %}ASSISTANT"
            + "{% else %}{{ message['role'] | upper }}{% endif %}</role>{{ message['content'] }}<|role_end|>{% endfor %}"
            + "{% if add_generation_prompt %}<role>ASSISTANT</role>{% endif %}";

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    /** A template from its Jinja source and the strings bound to {@code bos_token} and {@code eos_token}. */
    public ChatTemplate(String source, String bosToken, String eosToken) {
        if (source == null || source.isBlank()) throw new IllegalArgumentException("chat template is empty");
        this.source = source;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        // Jinja's semantics where Jinjava's defaults differ: {{- / -}} trim around expressions as around tags (Qwen's
        // ChatML template relies on it), and `not` binds tighter than `and`/`or`
        LegacyOverrides jinja = LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                .withUseNaturalOperatorPrecedence(true).build();
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(jinja).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
    }

    /** The LLaDA-style fallback with our tokenizers' BOS and EOS. */
    public static ChatTemplate llada() { return LLADA; }

    /**
     * The template of {@code modelDir/tokenizer_config.json} ({@code chat_template} as a string, or the one named
     * "default" in a list of named templates) with its {@code bos_token}/{@code eos_token}; the LLaDA-style fallback
     * when the file or the field is absent. Errors name the file and the field.
     */
    public static ChatTemplate load(Path modelDir) throws IOException { return load(modelDir, LLADA); }

    /** The template of {@code modelDir/tokenizer_config.json}, or {@code fallback} (the model family's format) when it has none. */
    public static ChatTemplate load(Path modelDir, ChatTemplate fallback) throws IOException {
        return declared(modelDir).orElse(fallback);
    }

    /** The template {@code modelDir/tokenizer_config.json} declares; empty when the file or its field is absent. */
    public static java.util.Optional<ChatTemplate> declared(Path modelDir) throws IOException {
        return ChatTemplateFile.read(modelDir);
    }

    /**
     * Writes this template (and its BOS/EOS when the file has none) into {@code modelDir/tokenizer_config.json},
     * keeping the file's other fields, so that {@link #load} finds it.
     */
    public void install(Path modelDir) throws IOException {
        ChatTemplateFile.write(modelDir, this);
    }

    /** The Jinja source. */
    public String source() { return source; }

    /** The string bound to {@code bos_token}. */
    public String bosToken() { return bosToken; }

    /** The string bound to {@code eos_token}. */
    public String eosToken() { return eosToken; }

    /**
     * The special tokens a tokenizer must know for this template's text to encode as intended: for the LLaDA-style
     * fallback every token it spells, for a model's own template its BOS and EOS.
     */
    public List<String> requiredTokens() {
        List<String> out = new ArrayList<>();
        if (source.equals(LLADA_JINJA)) {
            out.addAll(List.of(SpecialTokens.START_HEADER, SpecialTokens.END_HEADER, SpecialTokens.END_OF_TURN));
        }
        if (!bosToken.isEmpty()) out.addFirst(bosToken);
        if (!eosToken.isEmpty()) out.add(eosToken);
        return out;
    }

    /** The prompt that asks for the next assistant turn after {@code history}. */
    public String prompt(List<ChatMessage> history) { return render(history, true); }

    /**
     * What the model should write after {@link #prompt} of everything but the last message of {@code conversation}:
     * the last (assistant) message as the template renders it, then EOS.
     */
    public String answer(List<ChatMessage> conversation) {
        if (conversation.isEmpty()) throw new IllegalArgumentException("empty conversation");
        String prompt = prompt(conversation.subList(0, conversation.size() - 1));
        String whole = render(conversation, false);
        if (!whole.startsWith(prompt)) {
            throw new IllegalArgumentException("the chat template renders a conversation that does not start with the"
                    + " prompt for its last turn, so the answer cannot be cut off it");
        }
        return whole.substring(prompt.length()) + eosToken;
    }

    /** Renders {@code messages}, appending the assistant header when {@code addGenerationPrompt}. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> mm = new LinkedHashMap<>();
            mm.put("role", m.role());
            mm.put("content", m.content());
            msgs.add(mm);
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", msgs);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        vars.put("add_generation_prompt", addGenerationPrompt);
        RAISED.remove();
        RenderResult r;
        try {
            r = jinjava.renderForResult(source, vars);
        } finally {
            String raised = RAISED.get();
            RAISED.remove();
            if (raised != null) throw new IllegalArgumentException(raised);
        }
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL)
                throw new IllegalArgumentException("chat template failed at line " + e.getLineno() + ": " + e.getMessage());
        }
        return r.getOutput();
    }

    /** The message of a raise_exception call during the current render (Jinjava wraps the exception itself). */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    /** Bound to {@code raise_exception(msg)} inside templates (templates use it to reject bad message orders). */
    public static String raiseException(String message) {
        RAISED.set(message);
        throw new IllegalArgumentException(message);
    }
}
