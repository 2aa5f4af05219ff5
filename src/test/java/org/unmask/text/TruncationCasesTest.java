package org.unmask.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Truncation and padding of single sequences and pairs against what the Hugging Face tokenizers library itself
 * returns (its Rust core through the npm package, version in the fixture): 1,920 batches over five post-processors
 * (template, BERT, RoBERTa, a sequence with a template, byte-level), eight truncation sections (longest first,
 * only first, only second, both directions, strides, max_length 0 and one below the special tokens' count) and three
 * padding sections, with and without special tokens. Fixture: {@code src/test/node/make_truncation_fixture.mjs}.
 */
class TruncationCasesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path DIR = Path.of("src/test/resources/tokenizers");

    @Test void everyCaseMatchesTheLibrary() throws Exception {
        JsonNode fixture;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(DIR.resolve("truncation-cases.json.gz")))) {
            fixture = JSON.readTree(in);
        }
        int compared = 0, errors = 0, pairs = 0, overflowing = 0;
        for (JsonNode c : fixture.get("cases")) {
            ObjectNode tree = (ObjectNode) JSON.readTree(DIR.resolve(c.get("tokenizer").asText()).toFile());
            tree.set("truncation", c.get("truncation"));
            tree.set("padding", c.get("padding"));
            HfTokenizer tok = HfTokenizer.fromJson(tree, c.get("tokenizer").asText());
            List<String> first = new ArrayList<>(), second = new ArrayList<>();
            for (JsonNode input : c.get("inputs")) {
                first.add(input.get(0).asText());
                if (input.size() == 2) second.add(input.get(1).asText());
            }
            boolean isPair = !second.isEmpty(), special = c.get("add_special_tokens").asBoolean();
            String what = c.get("tokenizer").asText() + " truncation " + c.get("truncation") + " padding " + c.get("padding")
                    + " special " + special + " inputs " + c.get("inputs");
            if (c.has("error")) {
                assertThatThrownBy(() -> tok.encodeBatch(first, isPair ? second : null, special)).as(what)
                        .isInstanceOf(IllegalArgumentException.class);
                errors++;
                continue;
            }
            List<TruncationPadding.Encoding> got = tok.encodeBatch(first, isPair ? second : null, special);
            JsonNode want = c.get("encodings");
            assertThat(got).as(what).hasSize(want.size());
            for (int i = 0; i < got.size(); i++) {
                same(got.get(i), want.get(i), what + " #" + i);
                // the library nests the windows of a pair's second sequence under its first's; the top level is compared
                JsonNode wantOver = want.get(i).get("overflowing");
                assertThat(got.get(i).overflowing()).as(what + " #" + i + " overflowing").hasSize(wantOver.size());
                for (int j = 0; j < wantOver.size(); j++) same(got.get(i).overflowing().get(j), wantOver.get(j), what + " #" + i + " overflow " + j);
                overflowing += wantOver.size();
            }
            compared++;
            if (isPair) pairs++;
        }
        // the fixture covers what it claims: pairs, overflowing windows and failures
        assertThat(compared).isGreaterThan(1500);
        assertThat(pairs).isGreaterThan(1000);
        assertThat(errors).isGreaterThan(200);
        assertThat(overflowing).isGreaterThan(1000);
    }

    private static void same(TruncationPadding.Encoding got, JsonNode want, String what) {
        assertThat(got.ids()).as(what + " ids").containsExactly(ints(want.get("ids")));
        assertThat(got.typeIds()).as(what + " type ids").containsExactly(ints(want.get("type_ids")));
        assertThat(got.attentionMask()).as(what + " attention mask").containsExactly(ints(want.get("attention_mask")));
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asInt();
        return v;
    }
}
