package org.unmask.model.moe;

import org.unmask.model.tensor.Weights;

import java.util.Map;

/**
 * One SwiGLU expert, {@code down(SiLU(gate·x) ⊙ up·x)}: {@code gate} and {@code up} are {@code [width, hidden]},
 * {@code down} is {@code [hidden, width]}, row-major, in any {@link Weights} format (mapped bf16 is read in place).
 */
public record ExpertWeights(Weights gate, Weights up, Weights down, int hidden, int width) {
    public ExpertWeights {
        if (hidden < 1 || width < 1)
            throw new IllegalArgumentException("expert sizes must be positive: hidden=" + hidden + ", width=" + width);
        check("gate_proj", gate, width, hidden);
        check("up_proj", up, width, hidden);
        check("down_proj", down, hidden, width);
    }

    /**
     * The expert whose tensors are {@code prefix + "gate_proj.weight"}, {@code "up_proj.weight"} and
     * {@code "down_proj.weight"} (e.g. prefix {@code "model.layers.3.mlp.experts.17."}).
     */
    public static ExpertWeights fromTensors(Map<String, Weights> tensors, String prefix, int hidden, int width) {
        return new ExpertWeights(tensor(tensors, prefix + "gate_proj.weight"), tensor(tensors, prefix + "up_proj.weight"),
                tensor(tensors, prefix + "down_proj.weight"), hidden, width);
    }

    private static Weights tensor(Map<String, Weights> tensors, String name) {
        Weights w = tensors.get(name);
        if (w == null) throw new IllegalArgumentException("missing tensor " + name);
        return w;
    }

    private static void check(String name, Weights w, int rows, int cols) {
        if (w == null) throw new IllegalArgumentException("expert " + name + " is missing");
        if (w.size() != (long) rows * cols)
            throw new IllegalArgumentException("expert " + name + " should be [" + rows + ", " + cols + "] = "
                    + (long) rows * cols + " elements, has " + w.size());
    }
}
