package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.api.UnmaskModel;
import org.unmask.text.ChatMessage;
import org.unmask.text.ChatTemplate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A model's chat template travels in its GGUF file ({@code tokenizer.chat_template}, as llama.cpp's converter writes
 * it): {@code quantize} writes it, a GGUF file without a tokenizer_config.json beside it chats in it, and
 * {@code export} of the file writes it back into tokenizer_config.json.
 */
class GgufChatTemplateTest {

    private static final String ZEPHYR = "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content']"
            + " + eos_token + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

    private static String run(String... args) { return AutoregressiveExportTest.run(args); }

    @Test void theTemplateGoesIntoTheFileAndComesBackOut(@TempDir Path tmp) throws Exception {
        Path dir = DemoCommandTest.shippedStyleModel(tmp.resolve("model"));
        new ChatTemplate(ZEPHYR, "<|startoftext|>", "<|endoftext|>").install(dir);
        Path gguf = Files.createDirectories(tmp.resolve("alone")).resolve("model.gguf");
        run("quantize", "--model", dir.toString(), "--type", "q8_0", "--out", gguf.toString());

        List<ChatMessage> chat = List.of(new ChatMessage("user", "Who made the light?"));
        String want = "<|user|>\nWho made the light?<|endoftext|>\n<|assistant|>\n";
        assertThat(UnmaskModel.load(dir).chatTemplate().prompt(chat)).isEqualTo(want);
        UnmaskModel fromFile = UnmaskModel.load(gguf);
        assertThat(fromFile.chatTemplate().source()).isEqualTo(ZEPHYR);
        assertThat(fromFile.chatTemplate().prompt(chat)).as("eos_token spelled from the file's vocabulary").isEqualTo(want);
        assertThat(run("info", "--model", gguf.toString())).contains("chat template: GGUF metadata (tokenizer.chat_template)");
        assertThat(run("info", "--model", dir.toString())).contains("chat template: tokenizer_config.json");

        Path back = tmp.resolve("back");
        run("export", "--model", gguf.toString(), "--out", back.toString());
        assertThat(ChatTemplate.declared(back)).hasValueSatisfying(t -> assertThat(t.prompt(chat)).isEqualTo(want));
        // without a template anywhere the family's format stands in
        Path plain = DemoCommandTest.shippedStyleModel(tmp.resolve("plain"));
        Path plainGguf = tmp.resolve("plain.gguf");
        run("quantize", "--model", plain.toString(), "--type", "q8_0", "--out", plainGguf.toString());
        assertThat(UnmaskModel.load(plainGguf).chatTemplate().source()).isEqualTo(ChatTemplate.llada().source());
        assertThat(run("info", "--model", plainGguf.toString())).contains("chat template: LLaDA-style (no chat_template in tokenizer_config.json)");
    }
}
