package org.unmask.serve;

import org.unmask.text.ChatTemplate;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** LLaDA chat.py's multi-turn convention. */
class ChatConversationTest {

    final CharTokenizer tok = new CharTokenizer();
    final Vocabulary vocab = CharTokenizer.vocabulary();

    int[] ids(String s) { return tok.encode(s, false); }

    static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }

    @Test void secondTurnAppendsToHistoryWithoutEosAndWithoutBos() {
        ChatConversation c = new ChatConversation(ChatTemplate.llada(), vocab, null);
        int[] p1 = c.prompt("Hi");
        int[] turn1 = ids("<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(p1).containsExactly(turn1);
        int[] answer = concat(ids("Hello!"), new int[]{CharTokenizer.EOT, CharTokenizer.EOS, CharTokenizer.EOS});
        c.accept(p1, answer);
        assertThat(c.turns()).isEqualTo(1);
        int[] p2 = c.prompt("More");
        int[] turn2 = ids("<|start_header_id|>user<|end_header_id|>\n\nMore<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(p2).containsExactly(concat(turn1, ids("Hello!"), new int[]{CharTokenizer.EOT}, turn2));
        assertThat(p2).doesNotContain(CharTokenizer.EOS);
        assertThat(Arrays.stream(p2).filter(t -> t == CharTokenizer.BOS).count()).isEqualTo(1);
        c.reset();
        assertThat(c.prompt("Hi")).containsExactly(turn1);
    }

    @Test void systemMessageOnlyOnTheFirstTurn() {
        ChatConversation c = new ChatConversation(ChatTemplate.llada(), vocab, "Be brief.");
        int[] p1 = c.prompt("Hi");
        assertThat(tok.decode(p1, false)).startsWith("<|startoftext|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>");
        c.accept(p1, ids("Yo"));
        assertThat(tok.decode(c.prompt("Again"), false)).containsOnlyOnce("system");
    }

    @Test void aChatMLTemplateRendersTheWholeConversationEachTurn(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        org.unmask.model.DreamCheckpoints.writeTokenizerConfig(dir);
        ChatConversation c = new ChatConversation(ChatTemplate.load(dir), vocab, null);
        String system = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
        int[] p1 = c.prompt("Hi");
        assertThat(tok.decode(p1, false)).isEqualTo(system + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        c.accept(p1, concat(ids("Hello!"), new int[]{CharTokenizer.EOT, CharTokenizer.EOS}));
        // one system turn, the answer closed as the template closes it, then the new turn
        assertThat(tok.decode(c.prompt("More"), false)).isEqualTo(system + "<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nMore<|im_end|>\n<|im_start|>assistant\n");
        assertThat(ChatConversation.rendersTurnsAlone(ChatTemplate.llada())).isTrue();
    }
}
