package org.unmask.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tensor names and shapes of a Hugging Face {@code LLaDAModelLM} checkpoint for a given config. */
public final class LladaTensors {
    private LladaTensors() {}

    public static final String PREFIX = "model.transformer.";
    public static final String EMBEDDING = PREFIX + "wte.weight";
    public static final String FINAL_NORM = PREFIX + "ln_f.weight";
    public static final String LM_HEAD = PREFIX + "ff_out.weight";

    /** Name of a per-block tensor, e.g. {@code block(3, "q_proj")}. */
    public static String block(int layer, String part) { return PREFIX + "blocks." + layer + "." + part + ".weight"; }

    /** The tensors of one transformer block, in checkpoint order ({@link #block} names them). */
    public static final List<String> BLOCK_PARTS = List.of("attn_norm", "q_proj", "k_proj", "v_proj", "attn_out",
            "ff_norm", "ff_proj", "up_proj", "ff_out");

    /** Every tensor the config implies, in checkpoint order, with its shape ([out, in] for matrices). */
    public static Map<String, long[]> expectedShapes(ModelConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = c.dModel(), e = c.embeddingSize();
        m.put(EMBEDDING, new long[]{e, d});
        for (int l = 0; l < c.nLayers(); l++) {
            for (String part : BLOCK_PARTS) m.put(block(l, part), blockShape(c, part));
        }
        m.put(FINAL_NORM, new long[]{d});
        if (!c.weightTying()) m.put(LM_HEAD, new long[]{e, d});
        return m;
    }

    private static long[] blockShape(ModelConfig c, String part) {
        long d = c.dModel(), kv = c.kvDim(), h = c.mlpHiddenSize();
        return switch (part) {
            case "attn_norm", "ff_norm" -> new long[]{d};
            case "q_proj", "attn_out" -> new long[]{d, d};
            case "k_proj", "v_proj" -> new long[]{kv, d};
            case "ff_proj", "up_proj" -> new long[]{h, d};
            case "ff_out" -> new long[]{d, h};
            default -> throw new IllegalArgumentException("no block tensor '" + part + "'");
        };
    }
}
