package org.unmask.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Our ids and decoded text against the Hugging Face tokenizers library (through DJL) on the same files. */
class HfParityTest {

    static Path fixture(String name) throws Exception {
        return Path.of(HfParityTest.class.getResource("/tokenizers/" + name).toURI());
    }

    static HuggingFaceTokenizer reference(Path file) throws Exception {
        return HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false", "truncation", "false",
                "padding", "false", "modelMaxLength", "1000000"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bpe-llama3.json", "bpe-gpt2.json", "bpe-gpt2-prefix.json", "bpe-qwen.json",
            "wordpiece-uncased.json", "wordpiece-cased.json"})
    void idsAndDecodingMatchTheReference(String name) throws Exception {
        Path file = fixture(name);
        HfTokenizer ours = HfTokenizer.load(file);
        List<String> texts = ParityTexts.all();
        try (HuggingFaceTokenizer ref = reference(file)) {
            for (String text : texts) {
                for (boolean special : new boolean[] {false, true}) {
                    long[] expected = ref.encode(text, special, false).getIds();
                    int[] got = ours.encode(text, special);
                    assertThat(toLong(got)).as("%s ids (add_special_tokens=%s) of %s", name, special, show(text))
                            .containsExactly(expected);
                    for (boolean skip : new boolean[] {false, true}) {
                        assertThat(ours.decode(got, skip)).as("%s decode (skip=%s) of %s", name, skip, show(text))
                                .isEqualTo(ref.decode(expected, skip));
                    }
                }
            }
        }
    }

    static long[] toLong(int[] ids) { return Arrays.stream(ids).asLongStream().toArray(); }

    static String show(String s) {
        return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s).replace("\n", "\\n").replace("\t", "\\t") + "'";
    }
}
