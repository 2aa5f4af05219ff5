package org.unmask.model;

import org.unmask.model.moe.ExpertWeights;
import org.unmask.model.tensor.Weights;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** The tensor plumbing the mixture-of-experts families share: expert specs for the writer, expert weights for the engine. */
final class MoeTensors {
    private MoeTensors() {}

    /** Adds the SwiGLU tensors {@code prefix + "{gate,up,down}_proj.weight"} of width {@code width}. */
    static void putSwiGlu(Map<String, TensorSpec> t, String prefix, long d, long width) {
        t.put(prefix + "gate_proj.weight", new TensorSpec(new long[]{width, d}, TensorSpec.Init.GAUSSIAN));
        t.put(prefix + "up_proj.weight", new TensorSpec(new long[]{width, d}, TensorSpec.Init.GAUSSIAN));
        t.put(prefix + "down_proj.weight", new TensorSpec(new long[]{d, width}, TensorSpec.Init.GAUSSIAN));
    }

    /** Experts {@code prefix + "0."} … {@code prefix + (n-1) + "."}, each of width {@code width}. */
    static List<ExpertWeights> experts(Function<String, Weights> tensor, String prefix, int n, int d, int width) {
        Map<String, Weights> byName = byName(tensor);
        List<ExpertWeights> experts = new ArrayList<>(n);
        for (int x = 0; x < n; x++) experts.add(ExpertWeights.fromTensors(byName, prefix + x + ".", d, width));
        return experts;
    }

    /** The one expert under {@code prefix}. */
    static ExpertWeights expert(Function<String, Weights> tensor, String prefix, int d, int width) {
        return ExpertWeights.fromTensors(byName(tensor), prefix, d, width);
    }

    /** A vector tensor as floats (router biases are small and read per token). */
    static float[] floats(Weights w) {
        float[] a = new float[(int) w.size()];
        w.toFloat(0, a, 0, a.length);
        return a;
    }

    /** The engine's tensor lookup as the map {@link ExpertWeights#fromTensors} reads by name. */
    private static Map<String, Weights> byName(Function<String, Weights> tensor) {
        return new AbstractMap<>() {
            @Override public Weights get(Object key) { return tensor.apply((String) key); }
            @Override public Set<Entry<String, Weights>> entrySet() { throw new UnsupportedOperationException(); }
        };
    }
}
