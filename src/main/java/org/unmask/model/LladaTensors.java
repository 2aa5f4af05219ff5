package org.unmask.model;

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
        return ModelTensors.expectedShapes(c);
    }
}
