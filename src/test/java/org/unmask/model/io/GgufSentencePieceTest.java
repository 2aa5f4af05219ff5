package org.unmask.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.text.HfTokenizer;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A GGUF file's SentencePiece vocabulary ({@link GgufSentencePiece}: tokens, scores, types) tokenizes as
 * llama.cpp tokenizes it and decodes as the tokenizer.json Hugging Face's converter writes for the same model
 * (fixture {@code spm-bpe.json.gz}, see SOURCES.md; {@link SentencePieceGguf} writes the file).
 */
class GgufSentencePieceTest {

    @TempDir Path tmp;

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    /** The fixture's pieces as a GGUF file. */
    private Path fixtureFile(JsonNode f) throws Exception {
        Path file = tmp.resolve("spm.gguf");
        SentencePieceGguf.write(f, file);
        return file;
    }

    @Test
    void tokenizesAsLlamaCppAndDecodesAsTheConvertersTokenizerJson() throws Exception {
        JsonNode f = SentencePieceGguf.fixture();
        try (GgufFile g = GgufFile.open(fixtureFile(f))) {
            HfTokenizer tok = GgufTokenizer.read(g).orElseThrow();
            assertThat(tok.vocabSize()).isEqualTo(f.get("pieces").size());
            for (JsonNode c : f.get("cases")) {
                String text = c.get("text").asText();
                int[] want = ints(c.get("llamacpp_ids"));
                assertThat(tok.encode(text, false)).as(text).containsExactly(want);
                // llama.cpp adds BOS to a SentencePiece vocabulary unless the file says otherwise
                int[] withBos = new int[want.length + 1];
                withBos[0] = 1;
                System.arraycopy(want, 0, withBos, 1, want.length);
                assertThat(tok.encode(text, true)).as(text).containsExactly(withBos);
                assertThat(tok.decode(want, false)).as(text).isEqualTo(c.get("legacy_decoded").asText());
            }
            assertThat(tok.tokenId("<unk>")).hasValue(0);
            assertThat(tok.decode(new int[] {1, 2}, true)).as("control pieces are special").isEmpty();
        }
    }

    @Test
    void withoutTheSpacePrefixATextGetsNoWordMarkerAndBosFollowsTheFile() throws Exception {
        JsonNode f = SentencePieceGguf.fixture();
        Path plain = tmp.resolve("no-prefix.gguf");
        try (GgufFile g = GgufFile.open(fixtureFile(f))) {
            GgufWriter w = new GgufWriter();
            for (var e : g.metadata().entrySet()) copyKey(w, e.getKey(), e.getValue());
            w.putBool("tokenizer.ggml.add_space_prefix", false);
            w.putBool("tokenizer.ggml.add_bos_token", false);
            w.write(plain);
        }
        try (GgufFile g = GgufFile.open(plain)) {
            HfTokenizer tok = GgufTokenizer.read(g).orElseThrow();
            int a = tok.tokenId("a").orElseThrow(), markedA = tok.tokenId("\u2581a").orElseThrow();
            assertThat(tok.encode("a", true)).containsExactly(a);
            assertThat(tok.encode("b a", false)).endsWith(markedA);
            assertThat(tok.decode(tok.encode("b a", false), false)).isEqualTo("b a");
        }
    }

    @Test
    void bothTokenizerJsonFormsAreWrittenAsTheVocabularyLlamaCppTokenizesTheSame() throws Exception {
        JsonNode f = SentencePieceGguf.fixture();
        for (String form : java.util.List.of("legacy", "metaspace")) {
            GgufWriter w = new GgufWriter();
            w.putString("general.architecture", "llama");
            w.putU32("tokenizer.ggml.bos_token_id", 1);
            assertThat(GgufTokenizer.write(w, f.get(form), f.get("pieces").size() + 2, true)).as(form).isTrue();
            Path file = tmp.resolve(form + ".gguf");
            w.write(file);
            try (GgufFile g = GgufFile.open(file)) {
                assertThat(g.string("tokenizer.ggml.model")).isEqualTo("llama");
                java.util.List<Long> types = g.optArray("tokenizer.ggml.token_type", Long.class, "integers");
                for (int i = 0; i < f.get("pieces").size(); i++)
                    assertThat(types.get(i)).as("type of " + f.get("pieces").get(i)).isEqualTo(f.get("pieces").get(i).get(2).asLong());
                assertThat(types.get(f.get("pieces").size())).as("padding rows").isEqualTo(GgufTokenizer.UNUSED);
                HfTokenizer tok = GgufTokenizer.read(g).orElseThrow();
                for (JsonNode c : f.get("cases")) {
                    String text = c.get("text").asText();
                    assertThat(tok.encode(text, false)).as(form + ": " + text).containsExactly(ints(c.get("llamacpp_ids")));
                }
            }
        }
        // byte-level BPE is not SentencePiece, nor is a Metaspace that splits words (llama.cpp's vocabulary cannot say so)
        assertThat(GgufSentencePiece.spacePrefix(f.get("metaspace_split"))).isNull();
        assertThat(GgufSentencePiece.spacePrefix(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                GgufSentencePieceTest.class.getResource("/tokenizers/bpe-llama3.json")))).isNull();
    }

    @Test
    void mistypedOrMisSizedVocabularyArraysAreNamed() throws Exception {
        JsonNode f = SentencePieceGguf.fixture();
        try (GgufFile g = GgufFile.open(fixtureFile(f))) {
            GgufWriter scoresAsText = new GgufWriter(), shortTypes = new GgufWriter();
            for (var e : g.metadata().entrySet()) {
                if (!e.getKey().equals("tokenizer.ggml.scores")) copyKey(scoresAsText, e.getKey(), e.getValue());
                if (!e.getKey().equals("tokenizer.ggml.token_type")) copyKey(shortTypes, e.getKey(), e.getValue());
            }
            scoresAsText.putStrings("tokenizer.ggml.scores", java.util.List.of("-1.0", "-2.0"));
            shortTypes.putI32s("tokenizer.ggml.token_type", new int[] {1, 1, 1});
            Path a = tmp.resolve("a.gguf"), b = tmp.resolve("b.gguf");
            scoresAsText.write(a);
            shortTypes.write(b);
            try (GgufFile ga = GgufFile.open(a); GgufFile gb = GgufFile.open(b)) {
                assertThatThrownBy(() -> GgufTokenizer.read(ga)).hasMessageContaining(a.toString())
                        .hasMessageContaining("'tokenizer.ggml.scores' must be an array of numbers, but element 0 is");
                assertThatThrownBy(() -> GgufTokenizer.read(gb)).hasMessageContaining(b.toString())
                        .hasMessageContaining("'tokenizer.ggml.token_type' has 3 entries for 1200 tokens");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void copyKey(GgufWriter w, String key, Object v) {
        switch (v) {
            case String s -> w.putString(key, s);
            case Boolean b -> w.putBool(key, b);
            case Double d -> w.putF32(key, d.floatValue());
            case Long l -> w.putU32(key, l.intValue());
            case java.util.List<?> list when !list.isEmpty() && list.getFirst() instanceof String ->
                    w.putStrings(key, (java.util.List<String>) list);
            case java.util.List<?> list when !list.isEmpty() && list.getFirst() instanceof Double -> {
                float[] x = new float[list.size()];
                for (int i = 0; i < x.length; i++) x[i] = ((Double) list.get(i)).floatValue();
                w.putF32s(key, x);
            }
            case java.util.List<?> list -> {
                int[] x = new int[list.size()];
                for (int i = 0; i < x.length; i++) x[i] = ((Long) list.get(i)).intValue();
                w.putI32s(key, x);
            }
            default -> throw new IllegalArgumentException(key);
        }
    }
}
