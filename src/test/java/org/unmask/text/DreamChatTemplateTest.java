package org.unmask.text;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.DreamCheckpoints;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dream-Instruct's ChatML template, read from a tokenizer_config.json, renders what the official Jinja renders. The
 * expected strings were worked out by hand from the template under transformers' settings (trim_blocks,
 * lstrip_blocks, and the template's own {@code -} whitespace control, which removes every newline and indent
 * between its tags): a system turn (the default one when the conversation has none), each message as
 * {@code <|im_start|>ROLE\nCONTENT<|im_end|>\n} with its content untouched, then {@code <|im_start|>assistant\n}.
 */
class DreamChatTemplateTest {

    static final String DEFAULT_SYSTEM = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";

    static ChatMessage m(String role, String content) { return new ChatMessage(role, content); }

    @Test void rendersTheConversationsAsTheOfficialTemplateDoes(@TempDir Path dir) throws Exception {
        DreamCheckpoints.writeTokenizerConfig(dir);
        ChatTemplate t = ChatTemplate.load(dir);

        assertThat(t.prompt(List.of(m("user", "Hi"))))
                .isEqualTo(DEFAULT_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");

        // a leading system message replaces the default one and is not repeated by the loop
        assertThat(t.prompt(List.of(m("system", "Be brief."), m("user", "2+2?"))))
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n");

        // several turns; an earlier assistant answer is closed like any message
        assertThat(t.prompt(List.of(m("user", "Hi"), m("assistant", "Hello!"), m("user", "Tell me a joke."))))
                .isEqualTo(DEFAULT_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                        + "<|im_start|>user\nTell me a joke.<|im_end|>\n<|im_start|>assistant\n");

        // without the generation prompt the text ends after the last message; content is kept as written
        assertThat(t.render(List.of(m("user", "  spaced\n"), m("assistant", "\nok ")), false))
                .isEqualTo(DEFAULT_SYSTEM + "<|im_start|>user\n  spaced\n<|im_end|>\n<|im_start|>assistant\n\nok <|im_end|>\n");

        // a system message later in the conversation is rendered where it stands
        assertThat(t.prompt(List.of(m("user", "a"), m("system", "b"))))
                .isEqualTo(DEFAULT_SYSTEM + "<|im_start|>user\na<|im_end|>\n<|im_start|>system\nb<|im_end|>\n<|im_start|>assistant\n");

        // fine-tuning's answer: the assistant turn as rendered, then EOS
        assertThat(t.answer(List.of(m("user", "Hi"), m("assistant", "Hello!"))))
                .isEqualTo("Hello!<|im_end|>\n<|endoftext|>");
    }
}
