package org.unmask.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusDataTest {

    @TempDir
    Path dir;

    Path cache;
    Path tokenizerFile;
    final ByteTokenizer tok = new ByteTokenizer();

    @BeforeEach
    void setUp() throws IOException {
        cache = dir.resolve("cache");
        tokenizerFile = dir.resolve("tokenizer.json");
        Files.writeString(tokenizerFile, "{\"model\": \"bytes\"}");
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static List<Integer> ids(Tokens t) {
        int[] all = new int[Math.toIntExact(t.size())];
        t.copy(0, all, 0, all.length);
        return java.util.stream.IntStream.of(all).boxed().toList();
    }

    @Test
    void aUserCorpusGivesUpItsLastPercentOrTheValidationWindowsUpToATenth() throws IOException {
        Path train = write("train.txt", "a".repeat(999) + "\n");
        // 999 bytes and an end of text: 1000 ids; one window of 10 is 1 %
        try (CorpusData data = CorpusData.load(train.toString(), null, "text", tok, tokenizerFile, cache, ByteTokenizer.EOS, 10, 1)) {
            assertThat(data.train().size()).isEqualTo(990);
            assertThat(data.valid().size()).isEqualTo(10);
        }
        // 20 windows of 10 would be a fifth: capped at a tenth
        try (CorpusData data = CorpusData.load(train.toString(), null, "text", tok, tokenizerFile, cache, ByteTokenizer.EOS, 10, 20)) {
            assertThat(data.train().size()).isEqualTo(900);
            assertThat(data.valid().size()).isEqualTo(100);
            assertThat(data.validSource()).contains("the last 100 tokens");
        }
    }

    @Test
    void aSeparateValidationCorpusIsHeldOutWholeAndTheTrainingCorpusKeptWhole() throws IOException {
        Path train = write("train.txt", "a".repeat(999) + "\n");
        Path valid = write("valid.txt", "Held out text.\n\nSecond document.\n");
        try (CorpusData data = CorpusData.load(train.toString(), valid.toString(), "text", tok, tokenizerFile, cache, ByteTokenizer.EOS, 10, 4)) {
            assertThat(data.train().size()).isEqualTo(1000);
            assertThat(ids(data.valid())).isEqualTo(TokenCacheTest.expected("Held out text.", "Second document."));
            assertThat(data.validSource()).isEqualTo(valid.toString());
        }
    }

    @Test
    void validatingOnTheTrainingCorpusIsRefused() throws IOException {
        Path train = write("train.txt", "a".repeat(999) + "\n");
        Path sameFile = dir.resolve("./sub/../train.txt");
        Files.createDirectories(dir.resolve("sub"));
        assertThatThrownBy(() -> CorpusData.load(train.toString(), sameFile.toString(), "text", tok, tokenizerFile, cache, ByteTokenizer.EOS, 10, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--valid-corpus").hasMessageContaining("is the training corpus itself");
        assertThatThrownBy(() -> CorpusData.load("default", "default:train", "text", tok, tokenizerFile, cache, ByteTokenizer.EOS, 10, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is the training corpus itself");
    }

    @Test
    void aValidationCorpusShorterThanOneWindowIsRefusedByName() throws IOException {
        Path train = write("train.txt", "a".repeat(999) + "\n");
        Path valid = write("valid.txt", "tiny\n");
        assertThatThrownBy(() -> CorpusData.load(train.toString(), valid.toString(), "text", tok, tokenizerFile, cache, ByteTokenizer.EOS, 64, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(valid.toString()).hasMessageContaining("5 tokens, fewer than one window of 64");
    }
}
