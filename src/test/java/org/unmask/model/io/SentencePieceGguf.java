package org.unmask.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The SentencePiece fixture's pieces ({@code /tokenizers/spm-bpe.json.gz}) as the tokenizer metadata llama.cpp's
 * converter writes for a Llama model ({@code tokenizer.ggml.model = "llama"}: tokens, scores, token types, special
 * ids), in a GGUF file of the {@code llama} architecture with a tiny model's hyperparameters and no tensors, which
 * llama.cpp loads with {@code vocabOnly}. {@code main(OUT.gguf)} writes it for src/test/node/llamacpp_spm_ids.mjs.
 */
public final class SentencePieceGguf {
    private SentencePieceGguf() {}

    /** The fixture, parsed. */
    static JsonNode fixture() throws IOException {
        try (InputStream in = new GZIPInputStream(SentencePieceGguf.class.getResourceAsStream("/tokenizers/spm-bpe.json.gz"))) {
            return new ObjectMapper().readTree(in);
        }
    }

    /** Writes the fixture's vocabulary into {@code out}. */
    static void write(JsonNode fixture, Path out) throws IOException {
        JsonNode pieces = fixture.path("pieces");
        List<String> tokens = new ArrayList<>();
        float[] scores = new float[pieces.size()];
        int[] types = new int[pieces.size()];
        for (int i = 0; i < pieces.size(); i++) {
            tokens.add(pieces.get(i).get(0).asText());
            scores[i] = (float) pieces.get(i).get(1).asDouble();
            types[i] = pieces.get(i).get(2).asInt();
        }
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putU32("llama.context_length", 64);
        w.putU32("llama.embedding_length", 32);
        w.putU32("llama.block_count", 1);
        w.putU32("llama.feed_forward_length", 64);
        w.putU32("llama.attention.head_count", 4);
        w.putU32("llama.attention.head_count_kv", 4);
        w.putF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        w.putString("tokenizer.ggml.model", "llama");
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putF32s("tokenizer.ggml.scores", scores);
        w.putI32s("tokenizer.ggml.token_type", types);
        w.putU32("tokenizer.ggml.unknown_token_id", 0);
        w.putU32("tokenizer.ggml.bos_token_id", 1);
        w.putU32("tokenizer.ggml.eos_token_id", 2);
        w.write(out);
    }

    public static void main(String[] args) throws IOException {
        write(fixture(), Path.of(args[0]));
    }
}
