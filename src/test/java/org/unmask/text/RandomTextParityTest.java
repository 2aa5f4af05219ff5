package org.unmask.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Random strings over a mixed alphabet (seeded), compared id for id with the reference library. */
class RandomTextParityTest {

    private static final String[] ATOMS = {
            " ", " ", " ", "  ", "\t", "\n", "\r\n", "\n\n", "\u00a0", "\u3000", "a", "b", "e", "s", "t", "Z", "Q",
            "the", "The", "ing", "'s", "'S", "'ll", "'", "\"", "0", "1", "7", "42", "123456", ".", ",", "!", "?", "-", "_",
            "(", ")", "#", "$", "%", "é", "e\u0301", "ß", "İ", "Σ", "ς", "ж", "Я", "日", "本", "語", "한", "ا", "ि",
            "\u0301", "😀", "👍🏽", "\u200d", "\ufe0f", "🇯🇵", "ﬁ", "²", "Ⅷ", "\u0000", "\u200b", "<|endoftext|>",
            "<|mdm_mask|>", "<|", "|>", "[SEP]", "[MASK]", "foo", "[BAR]", "<tool_call>"};

    @ParameterizedTest
    @ValueSource(strings = {"bpe-llama3.json", "bpe-gpt2.json", "bpe-gpt2-prefix.json", "bpe-qwen.json",
            "wordpiece-uncased.json", "wordpiece-cased.json", "gpt2.json.gz", "bert-base-uncased.json.gz"})
    void randomTextsMatch(String name, @TempDir Path dir) throws Exception {
        assertParity(name, name.endsWith(".gz") ? RealTokenizerParityTest.unpack(name, dir) : HfParityTest.fixture(name));
    }

    /** The SentencePiece BPE forms of spm-bpe.json.gz (SOURCES.md): byte fallback, word markers, Metaspace schemes. */
    @ParameterizedTest
    @ValueSource(strings = {"legacy", "metaspace", "metaspace_split"})
    void randomTextsMatchForSentencePiece(String form, @TempDir Path dir) throws Exception {
        com.fasterxml.jackson.databind.JsonNode fixture;
        try (var in = new java.util.zip.GZIPInputStream(RandomTextParityTest.class.getResourceAsStream("/tokenizers/spm-bpe.json.gz"))) {
            fixture = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        Path file = dir.resolve(form + ".json");
        java.nio.file.Files.writeString(file, fixture.get(form).toString());
        assertParity("spm " + form, file);
    }

    private static void assertParity(String name, Path file) throws Exception {
        HfTokenizer ours = HfTokenizer.load(file);
        Random rnd = new Random(name.hashCode());
        try (HuggingFaceTokenizer ref = HfParityTest.reference(file)) {
            for (int n = 0; n < 400; n++) {
                StringBuilder sb = new StringBuilder();
                int atoms = 1 + rnd.nextInt(25);
                for (int i = 0; i < atoms; i++) sb.append(ATOMS[rnd.nextInt(ATOMS.length)]);
                String text = sb.toString();
                long[] expected = ref.encode(text, true, false).getIds();
                int[] got = ours.encode(text, true);
                assertThat(HfParityTest.toLong(got)).as("%s ids of %s", name, HfParityTest.show(text)).containsExactly(expected);
                assertThat(ours.decode(got, true)).as("%s decode of %s", name, HfParityTest.show(text))
                        .isEqualTo(ref.decode(expected, true));
            }
            // Arbitrary id sequences: partial UTF-8 byte runs, special tokens anywhere, continuation pieces first.
            for (int n = 0; n < 300; n++) {
                int[] ids = new int[1 + rnd.nextInt(12)];
                for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(4) == 0 ? rnd.nextInt(8) : rnd.nextInt(ours.vocabSize());
                for (boolean skip : new boolean[] {false, true}) {
                    assertThat(ours.decode(ids, skip)).as("%s decode of %s", name, java.util.Arrays.toString(ids))
                            .isEqualTo(ref.decode(HfParityTest.toLong(ids), skip));
                }
            }
        }
    }
}
