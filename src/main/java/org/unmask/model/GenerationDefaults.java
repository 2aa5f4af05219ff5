package org.unmask.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a family's models generate unless the user says otherwise: the remasking algorithm and its token sampler
 * settings. Steps default to one per generated token for every family.
 *
 * @param remasking   the remasking algorithm, as {@code --remasking} spells it
 * @param temperature sampling temperature (0 = argmax)
 * @param topP        nucleus filter of Dream's algorithms (1 = off; only applied with a Dream algorithm)
 * @param topK        top-k filter of Dream's algorithms (0 = off; only applied with a Dream algorithm)
 * @param algTemp     Dream's position temperature (0 = off; only applied with a Dream algorithm)
 * @param eps         Dream's final timestep
 * @param wholeCanvas the whole generation is one block everywhere (Dream); otherwise chat and the server prefer
 *                    blocks of 32 when they divide the generation (LLaDA's chat.py)
 * @param blockCausal LLaDA 2.x's generation: blocks aligned at position 0, block-causal attention, steps per block
 * @param blockLength the block length of block-causal generation, or of semi-autoregressive blocks when the defaults
 *                    are not block-causal, shortened to fit the generation ({@code SamplerConfig.Builder}); 0 = the
 *                    edge's choice
 * @param threshold   the confidence threshold of block-causal generation (0 = off)
 * @param autoregressive the model predicts the next token under causal attention (the AR baseline): it writes one
 *                    token per step, left to right, as block-causal generation in blocks of one token
 */
public record GenerationDefaults(String remasking, double temperature, double topP, int topK, double algTemp,
                                 double eps, boolean wholeCanvas, boolean blockCausal, int blockLength, double threshold,
                                 boolean autoregressive) {

    /** Defaults without block-causal generation. */
    public GenerationDefaults(String remasking, double temperature, double topP, int topK, double algTemp, double eps,
                              boolean wholeCanvas) {
        this(remasking, temperature, topP, topK, algTemp, eps, wholeCanvas, false, 0, 0, false);
    }

    /** LLaDA's generate.py: low-confidence remasking, greedy tokens. */
    public static final GenerationDefaults LLADA = new GenerationDefaults("low_confidence", 0, 1, 0, 0, 1e-3, false);

    /**
     * Dream's recommended settings (the model card's example): entropy ranking, temperature 0.2, top-p 0.95, eps
     * 1e-3, the whole canvas at once.
     */
    public static final GenerationDefaults DREAM = new GenerationDefaults("entropy", 0.2, 0.95, 0, 0, 1e-3, true);

    /**
     * LLaDA 2.x's generate(): blocks of 32 aligned at position 0 with block-causal attention, 32 steps per block,
     * every mask above 0.95 confidence else the scheduled most confident, greedy tokens. 2.1's token editing stays
     * off (the same weights serve 2.0, which has none): {@code --editing-threshold 0.9 --max-post-steps 16} turns it on.
     */
    public static final GenerationDefaults LLADA2 =
            new GenerationDefaults("low_confidence", 0, 1, 0, 0, 1e-3, false, true, 32, 0.95, false);

    /**
     * The defaults of a model: its family's, except that a block-diffusion model ({@code block_size} B) generates as
     * it was trained, block-causally in blocks of B aligned at position 0 with the exact block cache, one step per token.
     */
    public static GenerationDefaults of(ModelConfig config) {
        GenerationDefaults f = config.family().generationDefaults();
        if (!config.blockDiffusion()) return f;
        return new GenerationDefaults(f.remasking(), f.temperature(), f.topP(), f.topK(), f.algTemp(), f.eps(), false, true,
                config.blockSize(), f.threshold(), false);
    }

    /**
     * The defaults of an autoregressive model: block-causal generation in blocks of one token (causal attention, the
     * exact cache), one step per token; the token's rule (remasking, temperature, filters) stays the family's.
     */
    public GenerationDefaults asAutoregressive() {
        return new GenerationDefaults(remasking, temperature, topP, topK, algTemp, eps, false, true, 1, 0, true);
    }

    /** The file of a model directory that may carry its own defaults, under the key {@value #KEY}. */
    public static final String FILE = "generation_config.json";
    /** The object of {@value #FILE} holding Unmask's settings (other tools' fields are left alone). */
    public static final String KEY = "unmask";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The GGUF metadata key under which {@code quantize} carries a model's {@value #KEY} settings (the object of
     * {@value #FILE}, as JSON text), so that a GGUF file alone generates as its model directory did.
     */
    public static final String GGUF_KEY = "unmask.generation_config";

    /**
     * {@code base} (the family's defaults) overridden by the settings a model ships in {@code dir/generation_config.json}
     * under {@code "unmask"}: remasking, temperature, top_p, top_k, alg_temp, eps, block_length, threshold; errors name
     * the file and the field.
     */
    public static GenerationDefaults read(Path dir, GenerationDefaults base) throws IOException {
        Path file = dir.resolve(FILE);
        JsonNode u = section(file);
        return u == null ? base : apply(u, file.toString(), base);
    }

    /** The settings of {@code dir/generation_config.json} as compact JSON text, checked, for {@link #GGUF_KEY}; empty without any. */
    public static java.util.Optional<String> settingsJson(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        JsonNode u = section(file);
        if (u == null) return java.util.Optional.empty();
        apply(u, file.toString(), LLADA);
        return java.util.Optional.of(JSON.writeValueAsString(u));
    }

    /** {@code base} overridden by the settings a GGUF file carries under {@link #GGUF_KEY} in {@code metadata}, if any. */
    public static GenerationDefaults fromGguf(java.util.Map<String, Object> metadata, Path file, GenerationDefaults base)
            throws IOException {
        Object v = metadata.get(GGUF_KEY);
        if (v == null) return base;
        String where = file + ": metadata " + GGUF_KEY;
        if (!(v instanceof String text)) throw new IOException(where + " must be a string of JSON");
        JsonNode u;
        try {
            u = JSON.readTree(text);
        } catch (IOException e) {
            throw new IOException(where + ": not valid JSON: " + e.getMessage(), e);
        }
        if (u == null || !u.isObject()) throw new IOException(where + " must hold a JSON object");
        return apply(u, where, base);
    }

    /** The {@value #KEY} object of {@code file}, or null when the file or the object is absent. */
    private static JsonNode section(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return null;
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode u = root == null ? null : root.get(KEY);
        if (u == null || u.isNull()) return null;
        if (!u.isObject()) throw new IOException(file + ": field '" + KEY + "' must be an object");
        return u;
    }

    private static GenerationDefaults apply(JsonNode u, String where, GenerationDefaults base) throws IOException {
        return new GenerationDefaults(text(where, u, "remasking", base.remasking()), number(where, u, "temperature", base.temperature()),
                number(where, u, "top_p", base.topP()), (int) number(where, u, "top_k", base.topK()),
                number(where, u, "alg_temp", base.algTemp()), number(where, u, "eps", base.eps()), base.wholeCanvas(),
                base.blockCausal(), (int) number(where, u, "block_length", base.blockLength()),
                number(where, u, "threshold", base.threshold()), base.autoregressive());
    }

    private static double number(String where, JsonNode u, String field, double fallback) throws IOException {
        JsonNode v = u.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber() || v.asDouble() < 0) throw new IOException(where + ": field '" + KEY + "." + field + "' must be a number >= 0, got " + v);
        return v.asDouble();
    }

    private static String text(String where, JsonNode u, String field, String fallback) throws IOException {
        JsonNode v = u.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.isTextual()) throw new IOException(where + ": field '" + KEY + "." + field + "' must be a string, got " + v);
        return v.asText();
    }
}
