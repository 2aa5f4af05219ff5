package org.unmask.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatTemplateTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String SINGLE = "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n";

    /** A Llama-3 style template as Hugging Face stores it: string concatenation, escapes inside literals. */
    static final String HF_STYLE = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
            + "message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + "
            + "content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    @Test void defaultTemplateMatchesTheBriefing() {
        assertThat(ChatTemplate.llada().render(List.of(new ChatMessage("user", "  Q \n")), true)).isEqualTo(SINGLE);
    }

    @Test void defaultTemplateRendersSeveralMessagesAndNoGenerationPrompt() {
        String s = ChatTemplate.llada().render(List.of(new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")), false);
        assertThat(s).isEqualTo("<|startoftext|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|>");
    }

    @Test void huggingFaceStyleTemplateFromTokenizerConfig(@TempDir Path dir) throws Exception {
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("chat_template", HF_STYLE);
        cfg.putObject("bos_token").put("content", "<|startoftext|>");   // AddedToken form
        cfg.put("eos_token", "<|endoftext|>");
        cfg.put("model_max_length", 4096);
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(cfg));
        ChatTemplate t = ChatTemplate.load(dir);
        assertThat(t.render(List.of(new ChatMessage("user", "Q ")), true)).isEqualTo(SINGLE);
        assertThat(t.render(List.of(new ChatMessage("user", "A"), new ChatMessage("assistant", "B")), false))
                .isEqualTo("<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nA<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nB<|eot_id|>");
    }

    @Test void namedTemplateListAndBlockWhitespace(@TempDir Path dir) throws Exception {
        String tpl = "{% for m in messages %}\n  [{{ m.role }}] {{ m.content }}\n{% endfor %}\n{% if add_generation_prompt %}\n>\n{% endif %}";
        ObjectNode cfg = JSON.createObjectNode();
        ObjectNode named = cfg.putArray("chat_template").addObject();
        named.put("name", "default");
        named.put("template", tpl);
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(cfg));
        // trim_blocks + lstrip_blocks, as transformers renders: block lines leave no whitespace behind
        assertThat(ChatTemplate.load(dir).render(List.of(new ChatMessage("user", "x"), new ChatMessage("assistant", "y")), true))
                .isEqualTo("  [user] x\n  [assistant] y\n>\n");
    }

    @Test void raiseExceptionReachesTheCaller() {
        ChatTemplate t = new ChatTemplate("{% if messages[0]['role'] != 'user' %}{{ raise_exception('first message must be"
                + " from the user') }}{% endif %}ok", "", "");
        assertThat(t.render(List.of(new ChatMessage("user", "x")), true)).isEqualTo("ok");
        assertThatThrownBy(() -> t.render(List.of(new ChatMessage("assistant", "x")), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first message must be from the user");
    }

    @Test void missingConfigFallsBackToDefault(@TempDir Path dir) throws Exception {
        assertThat(ChatTemplate.load(dir).source()).isEqualTo(ChatTemplate.LLADA_JINJA);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\"}");
        assertThat(ChatTemplate.load(dir).source()).isEqualTo(ChatTemplate.LLADA_JINJA);
    }

    @Test void badConfigIsNamed(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 5}");
        assertThatThrownBy(() -> ChatTemplate.load(dir)).hasMessageContaining("tokenizer_config.json")
                .hasMessageContaining("chat_template");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{oops");
        assertThatThrownBy(() -> ChatTemplate.load(dir)).hasMessageContaining("not valid JSON");
    }

    @Test void writeDefaultKeepsOtherFieldsAndRoundTrips(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 512, \"eos_token\": \"<|endoftext|>\"}");
        ChatTemplate.llada().install(dir);
        JsonNode n = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertThat(n.get("model_max_length").asInt()).isEqualTo(512);
        assertThat(n.get("chat_template").asText()).isEqualTo(ChatTemplate.LLADA_JINJA);
        assertThat(n.get("bos_token").asText()).isEqualTo("<|startoftext|>");
        assertThat(ChatTemplate.load(dir).render(List.of(new ChatMessage("user", "Q")), true)).isEqualTo(SINGLE);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("tokenizer_config.json");
        }
        Path fresh = dir.resolve("new-model");
        ChatTemplate.llada().install(fresh);
        assertThat(ChatTemplate.load(fresh).render(List.of(new ChatMessage("user", "Q")), true)).isEqualTo(SINGLE);
    }
}
