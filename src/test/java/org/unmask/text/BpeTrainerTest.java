package org.unmask.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BpeTrainerTest {

    @Test
    void trainedTokenizerLoadsInTheReferenceLibraryAndTokenizesIdentically(@TempDir Path dir) throws Exception {
        HfTokenizer ours = BpeTrainer.train(FixtureGenerator.sampleDocuments(), 700);
        Path file = dir.resolve("tokenizer.json");
        ours.save(file);
        HfTokenizer reloaded = HfTokenizer.load(file);
        try (HuggingFaceTokenizer ref = HfParityTest.reference(file)) {
            for (String text : ParityTexts.all()) {
                for (boolean special : new boolean[] {false, true}) {
                    long[] expected = ref.encode(text, special, false).getIds();
                    assertThat(HfParityTest.toLong(reloaded.encode(text, special)))
                            .as("ids of %s", HfParityTest.show(text)).containsExactly(expected);
                    assertThat(HfParityTest.toLong(ours.encode(text, special))).containsExactly(expected);
                }
                int[] ids = reloaded.encode(text, false);
                assertThat(reloaded.decode(ids, false)).as("round trip").isEqualTo(text);
            }
        }
    }

    @Test
    void layoutIsSpecialsThenBytesThenMerges() throws Exception {
        HfTokenizer tok = BpeTrainer.train(FixtureGenerator.sampleDocuments(), 400);
        assertThat(tok.vocabSize()).isEqualTo(400);
        List<String> specials = List.of("<|endoftext|>", "<|startoftext|>", "<|mdm_mask|>", "<|start_header_id|>",
                "<|end_header_id|>", "<|eot_id|>");
        for (int i = 0; i < specials.size(); i++) {
            assertThat(tok.token(i)).isEqualTo(specials.get(i));
            assertThat(tok.tokenId(specials.get(i))).hasValue(i);
            assertThat(tok.isSpecial(i)).isTrue();
        }
        for (int b = 0; b < 256; b++) assertThat(tok.token(6 + b)).isEqualTo(String.valueOf(ByteLevelAlphabet.charOf(b)));
        assertThat(tok.encode("x", true)).containsExactly(1, 6 + 'x');
        assertThat(tok.encode("<|mdm_mask|>a<|eot_id|>", false)).containsExactly(2, 6 + 'a', 5);
        assertThat(tok.decode(new int[] {1, 6 + 'h', 6 + 'i', 0}, true)).isEqualTo("hi");
        assertThat(tok.decode(new int[] {1, 6 + 'h', 6 + 'i', 0}, false)).isEqualTo("<|startoftext|>hi<|endoftext|>");
    }

    @Test
    void firstMergeIsTheMostFrequentPairAndMergesBuildTheirTokens() throws Exception {
        // Pre-tokens "ab", " ab", " abab", " cd" x3, " xy": the pair (a, b) occurs 4 times, (c, d) and (space, c) 3.
        JsonNode json = BpeTrainer.trainJson(List.of("ab ab abab cd cd cd xy"), 265);
        JsonNode merges = json.get("model").get("merges");
        assertThat(merges.get(0).get(0).asText() + merges.get(0).get(1).asText()).isEqualTo("ab");
        JsonNode vocab = json.get("model").get("vocab");
        for (JsonNode m : merges) {
            String merged = m.get(0).asText() + m.get(1).asText();
            assertThat(vocab.has(merged)).as("merge result %s in vocab", merged).isTrue();
            assertThat(vocab.get(merged).asInt()).isGreaterThanOrEqualTo(BpeTrainer.MIN_VOCAB);
        }
        assertThat(vocab.size()).isEqualTo(265);
    }

    @Test
    void pairCountsFollowTheWordFrequencies() {
        // Pre-tokens: "aaaa" x2 and " b" x1: pair (a,a) counts 3 per word, so 6 in all; it must merge first,
        // and the second merge must be (aa, aa) with count 2, before (space, b) with count 1.
        JsonNode json = BpeTrainer.trainJson(List.of("aaaa", "aaaa b"), 264);
        JsonNode merges = json.get("model").get("merges");
        assertThat(merges.get(0).get(0).asText()).isEqualTo("a");
        assertThat(merges.get(0).get(1).asText()).isEqualTo("a");
        assertThat(merges.get(1).get(0).asText()).isEqualTo("aa");
        assertThat(merges.get(1).get(1).asText()).isEqualTo("aa");
    }

    @Test
    void stopsWhenNoPairsAreLeftAndRejectsTinyVocabularies() throws Exception {
        HfTokenizer tok = BpeTrainer.train(List.of("ab"), 1000);
        assertThat(tok.vocabSize()).isEqualTo(BpeTrainer.MIN_VOCAB + 1);
        assertThat(tok.encode("ab", false)).containsExactly(BpeTrainer.MIN_VOCAB);
        assertThatThrownBy(() -> BpeTrainer.train(List.of("ab"), 100)).hasMessageContaining("below the minimum 262");
    }

    @Test
    void specialTokenTextInTheCorpusIsNotLearned() throws Exception {
        String doc = "<|endoftext|>".repeat(50) + " hi";
        JsonNode json = BpeTrainer.trainJson(List.of(doc), 300);
        for (JsonNode m : json.get("model").get("merges")) {
            assertThat(m.get(0).asText() + m.get(1).asText()).doesNotContain("|");
        }
    }

    @Test
    void saveIsAtomicAndLeavesNoTemporaryFiles(@TempDir Path dir) throws Exception {
        HfTokenizer tok = BpeTrainer.train(List.of("hello hello world"), 270);
        Path file = dir.resolve("sub/tokenizer.json");
        tok.save(file);
        tok.save(file);
        try (var files = Files.list(file.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("tokenizer.json");
        }
        assertThat(Files.readString(file, StandardCharsets.UTF_8)).contains("\"<|mdm_mask|>\"");
    }
}
