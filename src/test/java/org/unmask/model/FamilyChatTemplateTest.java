package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.unmask.text.ChatMessage;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Each family's chat format for a directory without a template, against the strings its model cards spell out. */
class FamilyChatTemplateTest {
    static final List<ChatMessage> CONVERSATION = List.of(new ChatMessage("system", "Be brief."),
            new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello."), new ChatMessage("user", "Who are you?"));

    @Test void dreamSpeaksChatMl() {
        assertThat(DreamFamily.INSTANCE.fallbackChatTemplate().prompt(CONVERSATION)).isEqualTo(
                "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"
                        + "<|im_start|>user\nWho are you?<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test void llada2SpeaksLingsRoles() {
        String want = "<role>SYSTEM</role>Be brief.<|role_end|><role>HUMAN</role>Hi<|role_end|><role>ASSISTANT</role>Hello.<|role_end|>"
                + "<role>HUMAN</role>Who are you?<|role_end|><role>ASSISTANT</role>";
        assertThat(LLaDA2Family.PROTOTYPE.fallbackChatTemplate().prompt(CONVERSATION)).isEqualTo(want);
    }

    @Test void lladaKeepsItsHeaders() {
        assertThat(LladaFamily.INSTANCE.fallbackChatTemplate().prompt(List.of(new ChatMessage("user", "Hi"))))
                .isEqualTo("<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    }
}
