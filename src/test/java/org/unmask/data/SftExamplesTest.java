package org.unmask.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.unmask.text.ChatMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftExamplesTest {

    @TempDir
    Path dir;

    final ByteTokenizer tok = new ByteTokenizer();

    /** Ids of plain text under the test tokenizer: one per UTF-8 byte, offset past the six special tokens. */
    static List<Integer> bytes(String s) {
        List<Integer> ids = new ArrayList<>();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) ids.add(6 + (b & 0xff));
        return ids;
    }

    static List<Integer> boxed(int[] ids) {
        return IntStream.of(ids).boxed().toList();
    }

    @Test
    void promptResponsePairIsTemplatedWithTheSpecialIds() throws IOException {
        Path f = dir.resolve("sft.jsonl");
        Files.writeString(f, "{\"prompt\": \"Hi?\", \"response\": \"Hello.\"}\n");
        List<SftExample> examples = SftExamples.read(f, tok);
        assertThat(examples).hasSize(1);

        List<Integer> prompt = new ArrayList<>();
        prompt.add(1);                         // <|startoftext|>
        prompt.add(3);                         // <|start_header_id|>
        prompt.addAll(bytes("user"));
        prompt.add(4);                         // <|end_header_id|>
        prompt.addAll(bytes("\n\nHi?"));
        prompt.add(5);                         // <|eot_id|>
        prompt.add(3);
        prompt.addAll(bytes("assistant"));
        prompt.add(4);
        prompt.addAll(bytes("\n\n"));
        List<Integer> answer = new ArrayList<>(bytes("Hello."));
        answer.add(5);                         // <|eot_id|>
        answer.add(0);                         // <|endoftext|>

        assertThat(boxed(examples.getFirst().promptIds())).isEqualTo(prompt);
        assertThat(boxed(examples.getFirst().answerIds())).isEqualTo(answer);
        assertThat(examples.getFirst().length()).isEqualTo(prompt.size() + answer.size());
    }

    @Test
    void promptIdsEqualEncodingTheTemplateText() {
        List<ChatMessage> history = List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "2+2?"));
        String text = SftExamples.TEMPLATE.prompt(history);
        assertThat(text).isEqualTo("<|startoftext|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
        List<ChatMessage> conversation = new ArrayList<>(history);
        conversation.add(new ChatMessage("assistant", "4"));
        assertThat(SftExamples.encode(conversation, tok).promptIds()).containsExactly(tok.encode(text, false));
    }

    @Test
    void multiTurnConversationsGiveOneSamplePerAssistantTurn() throws IOException {
        Path f = dir.resolve("chat.jsonl");
        Files.writeString(f, """
                {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}, {"role": "User", "content": "Q2"}, {"role": "assistant", "content": "A2"}, {"role": "user", "content": "unanswered"}]}
                {"prompt": "P", "response": "R"}
                """);
        List<List<ChatMessage>> conversations = SftExamples.readConversations(f);
        assertThat(conversations).hasSize(3);
        assertThat(conversations.get(0)).extracting(ChatMessage::content).containsExactly("S", "Q1", "A1");
        assertThat(conversations.get(1)).extracting(ChatMessage::content).containsExactly("S", "Q1", "A1", "Q2", "A2");
        assertThat(conversations.get(1).get(3).role()).isEqualTo("user");

        List<SftExample> examples = SftExamples.read(f, tok);
        assertThat(tok.decode(examples.get(1).promptIds(), false)).isEqualTo(
                "<|startoftext|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nQ1<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nQ2<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(tok.decode(examples.get(1).answerIds(), false)).isEqualTo("A2<|eot_id|><|endoftext|>");
        assertThat(tok.decode(examples.get(2).promptIds(), true)).isEqualTo("user\n\nPassistant\n\n");
    }

    @Test
    void badLinesAreReportedWithFileAndLine() throws IOException {
        Path f = dir.resolve("bad.jsonl");
        assertError(f, "{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": \"p\"}\n", ":2: missing field \"response\"");
        assertError(f, "{\"messages\": \"hi\"}\n", ":1: field \"messages\" is a string, expected an array");
        assertError(f, "{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}\n", ":1: messages[0]: unknown role \"robot\"");
        assertError(f, "{\"messages\": [{\"role\": \"user\"}]}\n", ":1: messages[0]: missing field \"content\"");
        assertError(f, "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}\n", ":1: messages[0]: an assistant turn before any user turn");
        assertError(f, "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n", ":1: conversation has no assistant turn to learn");
        assertError(f, "{\"input\": \"x\"}\n", ":1: expected fields \"prompt\" and \"response\", or \"messages\"");
        assertError(f, "\n\n{not json\n", ":3: malformed JSON");
        Files.writeString(f, "\n");
        assertThatThrownBy(() -> SftExamples.read(f, tok)).isInstanceOf(IOException.class).hasMessageContaining("no fine-tuning examples");
    }

    @Test
    void aTokenizerWithoutChatTokensIsRejected() {
        ByteTokenizer plain = new ByteTokenizer() {
            @Override
            public java.util.OptionalInt tokenId(String token) {
                return token.equals("<|eot_id|>") ? java.util.OptionalInt.empty() : super.tokenId(token);
            }
        };
        assertThatThrownBy(() -> SftExamples.encode(List.of(new ChatMessage("user", "q"), new ChatMessage("assistant", "a")), plain))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no <|eot_id|> token");
    }

    private void assertError(Path f, String content, String message) throws IOException {
        Files.writeString(f, content);
        assertThatThrownBy(() -> SftExamples.read(f, tok)).isInstanceOf(CorpusFormatException.class)
                .hasMessageStartingWith(f + message);
    }
}
