package org.unmask.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Swaps single components into a fixture and checks each against the reference library. */
class ComponentParityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BYTES = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false}";

    private static String split(String regex, String behavior, boolean invert) {
        return "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \"" + regex
                + "\"}, \"behavior\": \"" + behavior + "\", \"invert\": " + invert + "}, " + BYTES + "]}";
    }

    private static String then(String first) {
        return "{\"type\": \"Sequence\", \"pretokenizers\": [" + first + ", " + BYTES + "]}";
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "pre|" + "Isolated",
            "pre|" + "Removed",
            "pre|" + "MergedWithPrevious",
            "pre|" + "MergedWithNext",
            "pre|" + "Contiguous",
            "pre-invert|" + "Removed",
            "pre-invert|" + "MergedWithNext",
            "digits|true",
            "digits|false",
            "whitespace|Whitespace",
            "whitespace|WhitespaceSplit",
            "whitespace|BertPreTokenizer",
            "string-split|MergedWithPrevious",
            "norm|{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKC\"}, {\"type\": \"Lowercase\"}, {\"type\": \"Strip\", \"strip_left\": true, \"strip_right\": true}]}",
            "norm|{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFD\"}, {\"type\": \"StripAccents\"}]}",
            "norm|{\"type\": \"NFKD\"}",
            "norm|{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"\u2581\"}, {\"type\": \"Prepend\", \"prepend\": \"\u2581\"}]}",
            "norm|{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s+\"}, \"content\": \" \"}",
            "norm-added|{\"type\": \"Lowercase\"}",
            "norm-added|{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKC\"}, {\"type\": \"Replace\", \"pattern\": {\"String\": \"_\"}, \"content\": \"-\"}]}",
            "norm|{\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true, \"strip_accents\": true, \"lowercase\": false}",
    })
    void componentMatchesTheReference(String variant, @TempDir Path dir) throws Exception {
        String kind = variant.substring(0, variant.indexOf('|'));
        String arg = variant.substring(variant.indexOf('|') + 1);
        ObjectNode tree = (ObjectNode) JSON.readTree(Files.readString(HfParityTest.fixture("bpe-qwen.json")));
        switch (kind) {
            case "pre" -> tree.set("pre_tokenizer", JSON.readTree(split("[,.!?]+| ", arg, false)));
            case "pre-invert" -> tree.set("pre_tokenizer", JSON.readTree(split("\\\\p{L}+", arg, true)));
            case "digits" -> tree.set("pre_tokenizer", JSON.readTree(then("{\"type\": \"Digits\", \"individual_digits\": " + arg + "}")));
            case "whitespace" -> tree.set("pre_tokenizer", JSON.readTree(then("{\"type\": \"" + arg + "\"}")));
            case "string-split" -> tree.set("pre_tokenizer", JSON.readTree(
                    "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"String\": \". \"}, \"behavior\": \""
                            + arg + "\", \"invert\": false}, " + BYTES + "]}"));
            case "norm" -> tree.set("normalizer", JSON.readTree(arg));
            case "norm-added" -> {
                // Tokens matched after normalization, against their own normalized form, with every flag.
                tree.set("normalizer", JSON.readTree(arg));
                var added = (com.fasterxml.jackson.databind.node.ArrayNode) tree.get("added_tokens");
                added.addObject().put("id", 902).put("content", "<Tool_Call>").put("single_word", false).put("lstrip", false)
                        .put("rstrip", false).put("normalized", true).put("special", false);
                added.addObject().put("id", 903).put("content", "Hello").put("single_word", true).put("lstrip", true)
                        .put("rstrip", true).put("normalized", true).put("special", true);
                added.addObject().put("id", 904).put("content", "ＷＯＲＬＤ").put("single_word", false).put("lstrip", false)
                        .put("rstrip", true).put("normalized", true).put("special", false);
            }
            default -> throw new IllegalArgumentException(kind);
        }
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, JSON.writeValueAsString(tree));
        HfTokenizer ours = HfTokenizer.load(file);
        try (HuggingFaceTokenizer ref = HfParityTest.reference(file)) {
            for (String text : ParityTexts.all()) {
                long[] expected = ref.encode(text, false, false).getIds();
                int[] got = ours.encode(text, false);
                assertThat(HfParityTest.toLong(got)).as("%s ids of %s", variant, HfParityTest.show(text)).containsExactly(expected);
                assertThat(ours.decode(got, false)).isEqualTo(ref.decode(expected, false));
            }
        }
    }
}
