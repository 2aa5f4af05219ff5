package org.unmask.model;

import java.util.LinkedHashMap;
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

    /** Every tensor the config implies, in checkpoint order, with its shape ([out, in] for matrices). */
    public static Map<String, long[]> expectedShapes(ModelConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = c.dModel(), kv = c.kvDim(), h = c.mlpHiddenSize(), e = c.embeddingSize();
        m.put(EMBEDDING, new long[]{e, d});
        for (int l = 0; l < c.nLayers(); l++) {
            m.put(block(l, "attn_norm"), new long[]{d});
            m.put(block(l, "q_proj"), new long[]{d, d});
            m.put(block(l, "k_proj"), new long[]{kv, d});
            m.put(block(l, "v_proj"), new long[]{kv, d});
            m.put(block(l, "attn_out"), new long[]{d, d});
            m.put(block(l, "ff_norm"), new long[]{d});
            m.put(block(l, "ff_proj"), new long[]{h, d});
            m.put(block(l, "up_proj"), new long[]{h, d});
            m.put(block(l, "ff_out"), new long[]{d, h});
        }
        m.put(FINAL_NORM, new long[]{d});
        if (!c.weightTying()) m.put(LM_HEAD, new long[]{e, d});
        return m;
    }
}
