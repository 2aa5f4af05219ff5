package org.unmask.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The GPT-2 and BERT base uncased vocabularies against the reference library and well-known ids. */
class RealTokenizerParityTest {

    static Path unpack(String name, Path dir) throws Exception {
        Path file = dir.resolve(name.replace(".gz", ""));
        try (InputStream in = new GZIPInputStream(RealTokenizerParityTest.class.getResourceAsStream("/tokenizers/" + name))) {
            Files.copy(in, file);
        }
        return file;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2.json.gz", "bert-base-uncased.json.gz"})
    void matchesTheReference(String name, @TempDir Path dir) throws Exception {
        Path file = unpack(name, dir);
        HfTokenizer ours = HfTokenizer.load(file);
        try (HuggingFaceTokenizer ref = HfParityTest.reference(file)) {
            for (String text : ParityTexts.all()) {
                for (boolean special : new boolean[] {false, true}) {
                    long[] expected = ref.encode(text, special, false).getIds();
                    int[] got = ours.encode(text, special);
                    assertThat(HfParityTest.toLong(got)).as("%s ids of %s", name, HfParityTest.show(text)).containsExactly(expected);
                    for (boolean skip : new boolean[] {false, true})
                        assertThat(ours.decode(got, skip)).as("%s decode of %s", name, HfParityTest.show(text))
                                .isEqualTo(ref.decode(expected, skip));
                }
            }
        }
    }

    @Test
    void wellKnownIds(@TempDir Path dir) throws Exception {
        HfTokenizer gpt2 = HfTokenizer.load(unpack("gpt2.json.gz", dir));
        assertThat(gpt2.encode("Hello world", false)).containsExactly(15496, 995);
        assertThat(gpt2.tokenId("<|endoftext|>")).hasValue(50256);
        assertThat(gpt2.vocabSize()).isEqualTo(50257);
        HfTokenizer bert = HfTokenizer.load(unpack("bert-base-uncased.json.gz", dir));
        assertThat(bert.encode("Hello world", true)).containsExactly(101, 7592, 2088, 102);
        assertThat(bert.decode(new int[] {101, 7592, 2088, 102}, true)).isEqualTo("hello world");
    }
}
