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

    /** Validates the fields that the engine relies on; each error names its config.json field. */
    public ModelConfig {
        positive("d_model", dModel);
        positive("n_layers", nLayers);
        positive("n_heads", nHeads);
        require(dModel % nHeads == 0, "n_heads", nHeads, "must divide d_model (" + dModel + ")");
        require((dModel / nHeads) % 2 == 0, "n_heads", nHeads,
                "gives an odd head size d_model/n_heads = " + dModel / nHeads + ", and RoPE needs an even one");
        if (nKvHeadsOrNull != null) positive("n_kv_heads", nKvHeadsOrNull);
        int kv = nKvHeadsOrNull == null ? nHeads : nKvHeadsOrNull;
        require(nHeads % kv == 0, "n_kv_heads", kv, "must divide n_heads (" + nHeads + ")");
        positive("mlp_hidden_size", mlpHiddenSize);
        positive("vocab_size", vocabSize);
        int emb = embeddingSizeOrNull == null ? vocabSize : embeddingSizeOrNull;
        require(emb >= vocabSize, "embedding_size", emb, "must be at least vocab_size (" + vocabSize + ")");
        positive("max_sequence_length", maxSequenceLength);
        require(ropeTheta > 0 && Double.isFinite(ropeTheta), "rope_theta", ropeTheta, "must be a positive number");
        require(rmsNormEps > 0 && Double.isFinite(rmsNormEps), "rms_norm_eps", rmsNormEps, "must be a positive number");
        tokenId("mask_token_id", maskTokenId, emb);
        tokenId("eos_token_id", eosTokenId, emb);
        if (padTokenIdOrNull != null) tokenId("pad_token_id", padTokenIdOrNull, emb);
        if (bosTokenIdOrNull != null) tokenId("bos_token_id", bosTokenIdOrNull, emb);
        try {
            exactParameterCount(dModel, nLayers, (long) kv * (dModel / nHeads), mlpHiddenSize, emb, weightTying);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(PREFIX + "d_model " + dModel + ", n_layers " + nLayers + ", mlp_hidden_size "
                    + mlpHiddenSize + " and embedding_size " + emb + " give more than 2^63 parameters");
        }
    }

    /** Prefix of validation messages; {@link #read} puts the file's path in its place. */
    private static final String PREFIX = "config.json: ";

    private static void positive(String field, int value) {
        require(value > 0, field, value, "must be positive");
    }

    private static void tokenId(String field, int id, int embeddingSize) {
        require(id >= 0 && id < embeddingSize, field, id, "is outside the embedding [0, " + embeddingSize + ")");
    }

    private static void require(boolean ok, String field, Object value, String problem) {
        if (!ok) throw new IllegalArgumentException(PREFIX + "field '" + field + "' = " + value + " " + problem);
    }

    /** The parameter count with overflow checks, so that absurd sizes are rejected instead of wrapping around. */
    private static long exactParameterCount(long d, long layers, long kv, long h, long e, boolean tied) {
        long attention = Math.addExact(Math.multiplyExact(2, Math.multiplyExact(d, d)), Math.multiplyExact(2, Math.multiplyExact(d, kv)));
        long perBlock = Math.addExact(Math.addExact(2 * d, attention), Math.multiplyExact(3, Math.multiplyExact(d, h)));
        long embeddings = Math.multiplyExact(tied ? 1 : 2, Math.multiplyExact(e, d));
        return Math.addExact(Math.addExact(embeddings, Math.multiplyExact(layers, perBlock)), d);
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
        return exactParameterCount(dModel, nLayers, kvDim(), mlpHiddenSize, embeddingSize(), weightTying);
    }

    private static final List<String> REQUIRED = List.of("d_model", "n_layers", "n_heads", "mlp_hidden_size",
            "vocab_size", "rope_theta", "rms_norm_eps", "mask_token_id", "eos_token_id");
    private static final List<String> INTEGERS = List.of("d_model", "n_layers", "n_heads", "n_kv_heads",
            "mlp_hidden_size", "vocab_size", "embedding_size", "max_sequence_length", "mask_token_id", "eos_token_id",
            "pad_token_id", "bos_token_id");
    private static final List<String> REALS = List.of("rope_theta", "rms_norm_eps");

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
        }
        for (String field : REALS) checkNumber(file, field, node.get(field), false);
        for (String field : INTEGERS) checkNumber(file, field, node.get(field), true);
        if (!node.hasNonNull("max_sequence_length")) node.put("max_sequence_length", 4096);
        if (!node.hasNonNull("weight_tying")) node.put("weight_tying", false);
        try {
            return fromJson(node);
        } catch (IllegalArgumentException e) {
            Throwable c = e;
            while (c.getCause() != null) c = c.getCause();
            String msg = c instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : c.getMessage();
            if (msg != null && msg.startsWith(PREFIX)) msg = msg.substring(PREFIX.length());
            throw new IOException(file + ": " + msg, e);
        }
    }

    /** A number field, when present, must be a number, and an integer field a whole one within 32 bits. */
    private static void checkNumber(Path file, String field, JsonNode v, boolean integer) throws IOException {
        if (v == null || v.isNull()) return;
        if (!v.isNumber()) throw new IOException(file + ": field '" + field + "' must be a number, got " + v);
        if (!integer) return;
        if (!v.isIntegralNumber() && v.doubleValue() != Math.rint(v.doubleValue()))
            throw new IOException(file + ": field '" + field + "' must be a whole number, got " + v);
        // Jackson would report the overflow without naming the field
        if (!v.canConvertToInt())
            throw new IOException(file + ": field '" + field + "' = " + v + " is beyond the 32-bit range of the tensors' sizes and ids");
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
            // small: the training benchmark shape of docs/benchmarks.md
            case "small" -> new ModelConfig(256, 4, 8, 8, 704, 4096, 4096, 256, 10000.0, 1e-5, false, 2, 0, 0, 1);
            case "base" -> new ModelConfig(512, 8, 8, 8, 1408, 8192, 8192, 512, 10000.0, 1e-5, false, 2, 0, 0, 1);
            // the shapes of GSAI-ML/LLaDA-8B-Base and -Instruct
            case "llada-8b" -> new ModelConfig(4096, 32, 32, 32, 12288, 126464, 126464, 4096, 500000.0, 1e-5, false,
                    126336, 126081, 126081, 126080);
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (known: tiny, small, base, llada-8b)");
        };
    }
}
