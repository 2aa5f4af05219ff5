package org.unmask.cli;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.text.HfTokenizer;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

class TokenizerCommandsTest {

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final StringWriter stderr = new StringWriter();
    private PrintStream savedOut;

    @BeforeEach void captureOut() { savedOut = System.out; System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8)); }

    @AfterEach void restoreOut() { System.setOut(savedOut); }

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(stderr, true));
        return cl.execute(args);
    }

    private String out() { return stdout.toString(StandardCharsets.UTF_8); }

    private static Path fixture(String name) throws Exception {
        return Path.of(TokenizerCommandsTest.class.getResource("/tokenizers/" + name).toURI());
    }

    private static final List<String> LINES = List.of("Hello world", "", "  two  spaces\tand tab", "Café 😀 東京 1234567",
            "<|startoftext|>special<|eot_id|> inside");

    @Test
    void tokenizePrintsTheReferenceIdsOfEachLine(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, String.join("\n", LINES) + "\n");
        for (String name : List.of("bpe-llama3.json", "wordpiece-uncased.json")) {
            for (boolean special : new boolean[] {false, true}) {
                stdout.reset();
                int code = special
                        ? run("tokenize", "--tokenizer", fixture(name).toString(), "--input", input.toString(), "--add-special-tokens")
                        : run("tokenize", "--tokenizer", fixture(name).toString(), "--input", input.toString());
                assertThat(code).as(stderr.toString()).isZero();
                StringBuilder expected = new StringBuilder();
                try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.newInstance(fixture(name), Map.of("modelMaxLength", "100000"))) {
                    for (String line : LINES) {
                        long[] ids = ref.encode(line, special, false).getIds();
                        expected.append(Arrays.stream(ids).mapToObj(Long::toString).collect(Collectors.joining(" "))).append('\n');
                    }
                }
                assertThat(out()).as("%s special=%s", name, special).isEqualTo(expected.toString());
            }
        }
        // An empty line stays an empty line (no BOS without --add-special-tokens).
        stdout.reset();
        run("tokenize", "--tokenizer", fixture("bpe-llama3.json").toString(), "--input", input.toString());
        assertThat(out().split("\n", -1)[1]).isEmpty();
    }

    @Test
    void pairsAreJoinedByThePairTemplateWithTheirTypeIds(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("pairs.txt");
        Files.writeString(input, "the cat\tsat on the mat\nin the beginning\t\n");
        HfTokenizer tok = HfTokenizer.load(fixture("wordpiece-uncased.json"));   // [CLS] $A [SEP] $B:1 [SEP]:1
        assertThat(run("tokenize", "--tokenizer", fixture("wordpiece-uncased.json").toString(), "--input", input.toString(),
                "--pairs", "--type-ids", "--add-special-tokens")).as(stderr.toString()).isZero();
        StringBuilder expected = new StringBuilder();
        for (String[] pair : List.of(new String[] {"the cat", "sat on the mat"}, new String[] {"in the beginning", ""})) {
            int[] a = tok.encode(pair[0], false), b = tok.encode(pair[1], false);
            List<String> ids = new java.util.ArrayList<>(), types = new java.util.ArrayList<>();
            ids.add("2");
            for (int id : a) ids.add(Integer.toString(id));
            ids.add("3");
            for (int k = 0; k < a.length + 2; k++) types.add("0");
            for (int id : b) ids.add(Integer.toString(id));
            ids.add("3");
            for (int k = 0; k < b.length + 1; k++) types.add("1");
            expected.append(String.join(" ", ids)).append('\n').append(String.join(" ", types)).append('\n');
        }
        assertThat(out()).isEqualTo(expected.toString());
        // a line without a tab is named
        Files.writeString(input, "no tab here\n");
        assertThat(run("tokenize", "--tokenizer", fixture("wordpiece-uncased.json").toString(), "--input", input.toString(), "--pairs")).isEqualTo(1);
        assertThat(stderr.toString()).contains("line 1").contains("tab");
    }

    @Test
    void decodeRoundTripsAndSkipsSpecialTokensOnlyWhenAsked(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, String.join("\n", LINES) + "\n");
        run("tokenize", "--tokenizer", fixture("bpe-llama3.json").toString(), "--input", input.toString());
        Path ids = dir.resolve("ids.txt");
        Files.writeString(ids, out());
        stdout.reset();
        assertThat(run("tokenize", "--tokenizer", fixture("bpe-llama3.json").toString(), "--input", ids.toString(), "--decode")).isZero();
        assertThat(out()).isEqualTo(String.join("\n", LINES) + "\n");
        stdout.reset();
        run("tokenize", "--tokenizer", fixture("bpe-llama3.json").toString(), "--input", ids.toString(), "--decode", "--skip-special-tokens");
        assertThat(out().split("\n")[4]).isEqualTo("special inside");
    }

    @Test
    void badIdsNameTheLine(@TempDir Path dir) throws Exception {
        Path ids = dir.resolve("ids.txt");
        Files.writeString(ids, "1 2 3\n4 five 6\n");
        assertThat(run("tokenize", "--tokenizer", fixture("bpe-llama3.json").toString(), "--input", ids.toString(), "--decode")).isEqualTo(1);
        assertThat(stderr.toString()).contains("line 2").contains("'five' is not a token id");
        Files.writeString(ids, "1\n\n99999\n");
        assertThat(run("tokenize", "--tokenizer", fixture("bpe-llama3.json").toString(), "--input", ids.toString(), "--decode")).isEqualTo(1);
        assertThat(stderr.toString()).contains("line 3").contains("99999 is out of range");
        Files.writeString(ids, "-1\n");
        assertThat(run("tokenize", "--tokenizer", fixture("bpe-llama3.json").toString(), "--input", ids.toString(), "--decode")).isEqualTo(1);
        assertThat(stderr.toString()).contains("line 1").contains("-1 is out of range");
        assertThat(run("tokenize", "--tokenizer", dir.resolve("nope.json").toString(), "--input", ids.toString())).isEqualTo(1);
        assertThat(stderr.toString()).contains("nope.json");
    }

    @Test
    void trainReadsFilesDirectoriesAndGzipAndWritesALoadableTokenizer(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("corpus");
        Files.createDirectories(corpus);
        String text;
        try (var in = getClass().getResourceAsStream("/text/sample.txt")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.writeString(corpus.resolve("a.txt"), text);
        try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(corpus.resolve("b.txt.gz")))) {
            gz.write("zyzzyva zyzzyva zyzzyva zyzzyva zyzzyva".getBytes(StandardCharsets.UTF_8));
        }
        Path out = dir.resolve("tok.json");
        assertThat(run("tokenizer", "train", "--corpus", corpus.toString(), "--vocab-size", "400", "--out", out.toString()))
                .as(stderr.toString()).isZero();
        HfTokenizer tok = HfTokenizer.load(out);
        assertThat(tok.vocabSize()).isEqualTo(400);
        // The gzipped document was read: its word is frequent enough to become a single token.
        assertThat(tok.encode(" zyzzyva", false)).hasSize(1);
        assertThat(tok.tokenId("<|mdm_mask|>")).hasValue(2);

        assertThat(run("tokenizer", "train", "--corpus", dir.resolve("missing").toString(), "--vocab-size", "400", "--out", out.toString())).isEqualTo(1);
        assertThat(stderr.toString()).contains("corpus not found");
        assertThat(run("tokenizer", "train", "--corpus", corpus.toString(), "--vocab-size", "10", "--out", out.toString())).isNotZero();
        assertThat(stderr.toString()).contains("--vocab-size must be at least 262");
    }
}
