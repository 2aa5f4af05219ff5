package org.unmask.serve;

import org.unmask.data.ChatMessage;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template (Jinja) rendered with Jinjava under the settings transformers uses: trim_blocks and
 * lstrip_blocks, variables {@code messages}, {@code bos_token}, {@code eos_token}, {@code add_generation_prompt},
 * and a {@code raise_exception} function.
 */
public final class ChatTemplate {

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
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
    }

    /** The Jinja source. */
    public String source() { return source; }

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
