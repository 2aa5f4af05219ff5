package org.unmask.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The architecture of a LLaDA-style transformer, read from and written to a Hugging Face {@code config.json}
 * using the field names of {@code LLaDAModelLM}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelConfig(
        @JsonProperty("d_model") int dModel,
        @JsonProperty("n_layers") int nLayers,
        @JsonProperty("n_heads") int nHeads,
        @JsonProperty("n_kv_heads") Integer nKvHeadsOrNull,
        @JsonProperty("mlp_hidden_size") int mlpHiddenSize,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("embedding_size") Integer embeddingSizeOrNull,
        @JsonProperty("max_sequence_length") int maxSequenceLength,
        @JsonProperty("rope_theta") double ropeTheta,
        @JsonProperty("rms_norm_eps") double rmsNormEps,
        @JsonProperty("weight_tying") boolean weightTying,
        @JsonProperty("mask_token_id") int maskTokenId,
        @JsonProperty("eos_token_id") int eosTokenId,
        @JsonProperty("pad_token_id") Integer padTokenIdOrNull,
        @JsonProperty("bos_token_id") Integer bosTokenIdOrNull) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** Validates the fields that the engine relies on. */
    public ModelConfig {
        require(dModel > 0, "d_model must be positive, got " + dModel);
        require(nLayers > 0, "n_layers must be positive, got " + nLayers);
        require(nHeads > 0, "n_heads must be positive, got " + nHeads);
        require(dModel % nHeads == 0, "d_model (" + dModel + ") must be divisible by n_heads (" + nHeads + ")");
        require((dModel / nHeads) % 2 == 0, "head size d_model/n_heads must be even for RoPE, got " + dModel / nHeads);
        int kv = nKvHeadsOrNull == null ? nHeads : nKvHeadsOrNull;
        require(kv > 0 && nHeads % kv == 0, "n_heads (" + nHeads + ") must be a multiple of n_kv_heads (" + kv + ")");
        require(mlpHiddenSize > 0, "mlp_hidden_size must be positive, got " + mlpHiddenSize);
        require(vocabSize > 0, "vocab_size must be positive, got " + vocabSize);
        int emb = embeddingSizeOrNull == null ? vocabSize : embeddingSizeOrNull;
        require(emb >= vocabSize, "embedding_size (" + emb + ") must be at least vocab_size (" + vocabSize + ")");
        require(maxSequenceLength > 0, "max_sequence_length must be positive, got " + maxSequenceLength);
        require(ropeTheta > 0, "rope_theta must be positive, got " + ropeTheta);
        require(rmsNormEps > 0, "rms_norm_eps must be positive, got " + rmsNormEps);
        require(maskTokenId >= 0 && maskTokenId < emb, "mask_token_id " + maskTokenId + " is outside the embedding (" + emb + ")");
        require(eosTokenId >= 0 && eosTokenId < emb, "eos_token_id " + eosTokenId + " is outside the embedding (" + emb + ")");
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("config.json: " + message);
    }

    /** Number of key/value heads (grouped-query attention when smaller than {@link #nHeads()}). */
    public int nKvHeads() { return nKvHeadsOrNull == null ? nHeads : nKvHeadsOrNull; }

    /** Rows of the embedding and LM-head matrices (may exceed the vocabulary, as in LLaDA-8B). */
    public int embeddingSize() { return embeddingSizeOrNull == null ? vocabSize : embeddingSizeOrNull; }

    /** Width of one attention head. */
    public int headDim() { return dModel / nHeads; }

    /** Width of the key and value projections. */
    public int kvDim() { return nKvHeads() * headDim(); }

    /** Padding id; LLaDA pads with end-of-text. */
    public int padTokenId() { return padTokenIdOrNull == null ? eosTokenId : padTokenIdOrNull; }

    /** Total number of parameters, counting the LM head only when it is not tied. */
    public long parameterCount() {
        long d = dModel, kv = kvDim(), h = mlpHiddenSize, e = embeddingSize();
        long perBlock = 2 * d + d * d + 2 * d * kv + d * d + 3 * d * h;
        return e * d + nLayers * perBlock + d + (weightTying ? 0 : e * d);
    }

    private static final List<String> REQUIRED = List.of("d_model", "n_layers", "n_heads", "mlp_hidden_size",
            "vocab_size", "rope_theta", "rms_norm_eps", "mask_token_id", "eos_token_id");

    /** Reads {@code config.json}; errors name the file and the field. */
    public static ModelConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        JsonNode tree;
        try {
            tree = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (tree == null || !tree.isObject()) throw new IOException(file + ": expected a JSON object");
        ObjectNode node = (ObjectNode) tree;
        for (String field : REQUIRED) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) throw new IOException(file + ": missing field '" + field + "'");
            if (!v.isNumber()) throw new IOException(file + ": field '" + field + "' must be a number, got " + v);
        }
        if (!node.has("max_sequence_length")) node.put("max_sequence_length", 4096);
        if (!node.has("weight_tying")) node.put("weight_tying", false);
        try {
            return fromJson(node);
        } catch (IllegalArgumentException e) {
            Throwable c = e;
            while (c.getCause() != null) c = c.getCause();
            String msg = c instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : c.getMessage();
            throw new IOException(file + ": " + msg, e);
        }
    }

    /** Writes {@code config.json} (atomically, fsynced) with the fields a Hugging Face LLaDA checkpoint carries. */
    public void write(Path file) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("LLaDAModelLM"));
        m.put("model_type", "llada");
        m.put("d_model", dModel);
        m.put("n_layers", nLayers);
        m.put("n_heads", nHeads);
        m.put("n_kv_heads", nKvHeads());
        m.put("mlp_hidden_size", mlpHiddenSize);
        m.put("mlp_ratio", Math.max(1, mlpHiddenSize / dModel));
        m.put("vocab_size", vocabSize);
        m.put("embedding_size", embeddingSize());
        m.put("max_sequence_length", maxSequenceLength);
        m.put("rope", true);
        m.put("rope_theta", ropeTheta);
        m.put("rope_full_precision", true);
        m.put("alibi", false);
        m.put("layer_norm_type", "rms");
        m.put("rms_norm_eps", rmsNormEps);
        m.put("layer_norm_with_affine", true);
        m.put("bias_for_layer_norm", false);
        m.put("activation_type", "silu");
        m.put("block_type", "llama");
        m.put("include_bias", false);
        m.put("include_qkv_bias", false);
        m.put("attention_layer_norm", false);
        m.put("weight_tying", weightTying);
        m.put("scale_logits", false);
        m.put("input_emb_norm", false);
        m.put("attention_dropout", 0.0);
        m.put("residual_dropout", 0.0);
        m.put("embedding_dropout", 0.0);
        m.put("mask_token_id", maskTokenId);
        m.put("eos_token_id", eosTokenId);
        m.put("pad_token_id", padTokenId());
        if (bosTokenIdOrNull != null) m.put("bos_token_id", bosTokenIdOrNull);
        m.put("use_cache", false);
        m.put("torch_dtype", "float32");
        AtomicFile.write(file, tmp -> JSON.writeValue(tmp.toFile(), m));
    }

    /** Parses a config from a JSON tree (used by tests and presets). */
    public static ModelConfig fromJson(JsonNode node) {
        return JSON.convertValue(node, ModelConfig.class);
    }

    /** A copy with other special token ids (used when a tokenizer is attached to a model). */
    public ModelConfig withTokens(int vocab, int mask, int eos, Integer bos) {
        return new ModelConfig(dModel, nLayers, nHeads, nKvHeadsOrNull, mlpHiddenSize, vocab,
                Math.max(vocab, embeddingSize()), maxSequenceLength, ropeTheta, rmsNormEps, weightTying, mask, eos, eos, bos);
    }

    /** Named presets for {@code unmask init --preset} and {@code unmask train --preset}. */
    public static ModelConfig preset(String name) {
        return switch (name) {
            // tiny: trains to readable text on 2 CPU cores in minutes (the demo model)
            case "tiny" -> new ModelConfig(192, 4, 6, 6, 512, 4096, 4096, 256, 10000.0, 1e-5, false, 2, 0, 0, 1);
            // small: the benchmark shape of the engine issue
            case "small" -> new ModelConfig(256, 4, 8, 8, 704, 4096, 4096, 256, 10000.0, 1e-5, false, 2, 0, 0, 1);
            case "base" -> new ModelConfig(512, 8, 8, 8, 1408, 8192, 8192, 512, 10000.0, 1e-5, false, 2, 0, 0, 1);
            // the shapes of GSAI-ML/LLaDA-8B-Base and -Instruct
            case "llada-8b" -> new ModelConfig(4096, 32, 32, 32, 12288, 126464, 126464, 4096, 500000.0, 1e-5, false,
                    126336, 126081, 126081, 126080);
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (known: tiny, small, base, llada-8b)");
        };
    }
}
