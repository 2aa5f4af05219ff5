package org.unmask.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCacheTest {

    @TempDir
    Path dir;

    Path corpus;
    Path cache;
    Path tokenizerFile;

    @BeforeEach
    void setUp() throws IOException {
        corpus = Files.createDirectories(dir.resolve("corpus"));
        cache = dir.resolve("cache");
        tokenizerFile = dir.resolve("tokenizer.json");
        Files.writeString(tokenizerFile, "{\"model\": \"bytes\"}");
        Files.writeString(corpus.resolve("a.txt"), "Hello world.\n\nSecond document, é.\n");
        Files.writeString(corpus.resolve("b.jsonl"), "{\"text\": \"json doc\", \"alt\": \"other field\"}\n");
    }

    /** The expected file content: each document's UTF-8 bytes (offset 6) followed by end of text (0). */
    static List<Integer> expected(String... docs) {
        List<Integer> ids = new ArrayList<>();
        for (String d : docs) {
            for (byte b : d.getBytes(StandardCharsets.UTF_8)) ids.add(6 + (b & 0xff));
            ids.add(0);
        }
        return ids;
    }

    static List<Integer> contents(TokenFile t) {
        int[] all = new int[Math.toIntExact(t.size())];
        t.copy(0, all, 0, all.length);
        return java.util.stream.IntStream.of(all).boxed().toList();
    }

    List<Path> cacheFiles() throws IOException {
        try (Stream<Path> s = Files.list(cache)) {
            return s.sorted().toList();
        }
    }

    TokenFile tokenize(ByteTokenizer tok, String field) throws IOException {
        return TokenCache.tokenized(corpus.toString(), field, tok, tokenizerFile, cache, ByteTokenizer.EOS);
    }

    @Test
    void tokenisesEveryDocumentWithSeparators() throws IOException {
        try (TokenFile t = tokenize(new ByteTokenizer(), null)) {
            assertThat(contents(t)).isEqualTo(expected("Hello world.", "Second document, é.", "json doc"));
            assertThat(t.vocabSize()).isEqualTo(262);
            assertThat(t.separatorId()).isZero();
        }
    }

    @Test
    void documentsEndWithTheModelsEndOfTextWhateverTheTokenizerCallsIt() throws IOException {
        // <|endoftext|> separates documents where the tokenizer has it, whatever config.json calls EOS (Qwen2.5-Instruct
        // names <|im_end|>); the model's EOS only stands in where it has none (Llama 2's </s>)
        assertThat(org.unmask.text.SpecialTokens.documentSeparator(new ByteTokenizer(), 5)).isEqualTo(ByteTokenizer.EOS);
        // a Llama model ends texts with </s>: here the id of <|eot_id|>, which the tokenizer does not call end of text
        int eot = ByteTokenizer.SPECIALS.indexOf("<|eot_id|>");
        try (TokenFile t = TokenCache.tokenized(corpus.toString(), null, new ByteTokenizer(), tokenizerFile, cache, eot)) {
            List<Integer> want = new java.util.ArrayList<>();
            for (int id : expected("Hello world.", "Second document, é.", "json doc")) want.add(id == ByteTokenizer.EOS ? eot : id);
            assertThat(contents(t)).isEqualTo(want);
            assertThat(t.separatorId()).isEqualTo(eot);
        }
        try (TokenFile t = tokenize(new ByteTokenizer(), null)) {
            assertThat(t.separatorId()).as("another separator is another cached file").isZero();
        }
        assertThatThrownBy(() -> TokenCache.tokenized(corpus.toString(), null, new ByteTokenizer(), tokenizerFile, cache, 262))
                .hasMessageContaining("end-of-text id 262").hasMessageContaining(tokenizerFile.toString());
    }

    @Test
    void reusedWhileUnchangedAndRebuiltWhenTheCorpusChanges() throws IOException {
        Path first;
        try (TokenFile t = tokenize(new ByteTokenizer(), null)) {
            first = t.path();
        }
        ByteTokenizer again = new ByteTokenizer();
        try (TokenFile t = tokenize(again, "text")) {
            assertThat(t.path()).isEqualTo(first);
            assertThat(again.encodeCalls.get()).as("cache hit encodes nothing").isZero();
        }

        // touch: same bytes, new modification time
        Path a = corpus.resolve("a.txt");
        Files.setLastModifiedTime(a, FileTime.from(Files.getLastModifiedTime(a).toInstant().plusSeconds(10)));
        ByteTokenizer touched = new ByteTokenizer();
        Path second;
        try (TokenFile t = tokenize(touched, null)) {
            second = t.path();
            assertThat(touched.encodeCalls.get()).isPositive();
            assertThat(second).isNotEqualTo(first);
        }
        assertThat(cacheFiles()).as("the outdated file is removed").containsExactly(second);

        Files.writeString(a, "Changed.\n");
        try (TokenFile t = tokenize(new ByteTokenizer(), null)) {
            assertThat(contents(t)).isEqualTo(expected("Changed.", "json doc"));
        }
        Files.writeString(corpus.resolve("c.txt"), "new file");
        try (TokenFile t = tokenize(new ByteTokenizer(), null)) {
            assertThat(contents(t)).isEqualTo(expected("Changed.", "json doc", "new file"));
        }
        assertThat(cacheFiles()).hasSize(1);
    }

    @Test
    void rebuiltWhenTheTokenizerOrTextFieldChanges() throws IOException {
        Path original;
        try (TokenFile t = tokenize(new ByteTokenizer(), null)) {
            original = t.path();
        }
        Files.writeString(tokenizerFile, "{\"model\": \"bytes\", \"version\": 2}");
        ByteTokenizer tok = new ByteTokenizer();
        try (TokenFile t = tokenize(tok, null)) {
            assertThat(tok.encodeCalls.get()).isPositive();
            assertThat(t.path()).isNotEqualTo(original);
        }
        try (TokenFile t = tokenize(new ByteTokenizer(), "alt")) {
            assertThat(contents(t)).isEqualTo(expected("Hello world.", "Second document, é.", "other field"));
        }
    }

    @Test
    void staleTemporaryAndDamagedFilesDoNotBreakTheCache() throws IOException {
        Path file;
        try (TokenFile t = tokenize(new ByteTokenizer(), null)) {
            file = t.path();
        }
        // A run that died left a temporary file (old) and another process may be writing one now (fresh).
        Path stale = file.resolveSibling(file.getFileName() + ".123.tmp");
        Path live = file.resolveSibling(file.getFileName() + ".456.tmp");
        Files.writeString(stale, "partial garbage");
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Files.writeString(live, "in progress");
        // the same for the hidden staged files that AtomicFile writes now
        Path staleStaged = file.resolveSibling("." + file.getFileName() + ".tmp-7a");
        Path liveStaged = file.resolveSibling("." + file.getFileName() + ".tmp-7b");
        Files.writeString(staleStaged, "partial garbage");
        Files.setLastModifiedTime(staleStaged, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Files.writeString(liveStaged, "in progress");
        // The final file itself is damaged (e.g. truncated by a full disk outside our control).
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 3));

        ByteTokenizer tok = new ByteTokenizer();
        try (TokenFile t = tokenize(tok, null)) {
            assertThat(t.path()).isEqualTo(file);
            assertThat(tok.encodeCalls.get()).isPositive();
            assertThat(contents(t)).isEqualTo(expected("Hello world.", "Second document, é.", "json doc"));
        }
        assertThat(stale).doesNotExist();
        assertThat(live).exists();
        assertThat(staleStaged).doesNotExist();
        assertThat(liveStaged).exists();
    }

    @Test
    void aBadCorpusLeavesNoFileBehind() throws IOException {
        Files.writeString(corpus.resolve("b.jsonl"), "{\"text\": \"ok\"}\n{\"txt\": \"typo\"}\n");
        assertThatThrownBy(() -> tokenize(new ByteTokenizer(), null)).isInstanceOf(CorpusFormatException.class)
                .hasMessageContaining("b.jsonl:2: missing field \"text\"");
        assertThat(cacheFiles()).isEmpty();
    }

    @Test
    void shippedValidationSplitTokenisesToItsBytes() throws IOException {
        long expectedTokens = 0;
        for (String doc : Corpora.documents("default:valid", null)) expectedTokens += doc.getBytes(StandardCharsets.UTF_8).length + 1;
        try (TokenFile t = TokenCache.tokenized("default:valid", null, new ByteTokenizer(), tokenizerFile, cache, ByteTokenizer.EOS)) {
            assertThat(t.size()).isEqualTo(expectedTokens);
            assertThat(t.path().getFileName().toString()).startsWith("default_valid-");
            int[] head = new int[16];
            t.copy(0, head, 0, 16);
            assertThat(new ByteTokenizer().decode(head, false)).isEqualTo("In the days when");
        }
    }
}
