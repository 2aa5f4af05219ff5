package org.unmask.model;

import java.util.LinkedHashMap;
import java.util.Map;

/** The tensors of a dense model in checkpoint order, named by its family: embedding, the layers, final norm, head. */
public final class ModelTensors {
    private ModelTensors() {}

    /** Every tensor of {@code c}: the family's names, the shapes the config implies. */
    public static Map<String, TensorSpec> standard(ModelConfig c) {
        ModelFamily f = c.family();
        Map<String, TensorSpec> m = new LinkedHashMap<>();
        long d = c.dModel(), e = c.embeddingSize();
        m.put(f.embedding(), new TensorSpec(new long[]{e, d}, TensorSpec.Init.GAUSSIAN));
        for (int l = 0; l < c.nLayers(); l++) {
            for (TensorRole r : TensorRole.values()) {
                if (r.present(c)) m.put(f.layerTensor(l, r), new TensorSpec(r.shape(c), r.init()));
            }
        }
        m.put(f.finalNorm(), new TensorSpec(new long[]{d}, TensorSpec.Init.ONES));
        if (!c.weightTying()) m.put(f.lmHead(), new TensorSpec(new long[]{e, d}, TensorSpec.Init.GAUSSIAN));
        return m;
    }

    /**
     * The tensors of a dense model of config {@code c} under the names family {@code to} gives the same roles, in
     * checkpoint order (an autoregressive run's LLaDA-layout tensors as a Llama model's; {@code tensors} itself when the
     * family is {@code c}'s); a tensor {@code c} names that is missing is an error.
     */
    public static <T> Map<String, T> renamed(Map<String, T> tensors, ModelConfig c, ModelFamily to) {
        ModelFamily from = c.family();
        if (from == to) return tensors;
        Map<String, T> m = new LinkedHashMap<>();
        java.util.function.BiConsumer<String, String> put = (src, dst) -> {
            T t = tensors.get(src);
            if (t == null) throw new IllegalArgumentException("no tensor " + src + " to store as " + dst);
            m.put(dst, t);
        };
        put.accept(from.embedding(), to.embedding());
        for (int l = 0; l < c.nLayers(); l++) {
            for (TensorRole r : TensorRole.values()) if (r.present(c)) put.accept(from.layerTensor(l, r), to.layerTensor(l, r));
        }
        put.accept(from.finalNorm(), to.finalNorm());
        if (!c.weightTying()) put.accept(from.lmHead(), to.lmHead());
        return m;
    }

    /** Every tensor of {@code c} with its shape, in checkpoint order. */
    public static Map<String, long[]> expectedShapes(ModelConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        c.family().tensors(c).forEach((name, spec) -> m.put(name, spec.shape()));
        return m;
    }

    /** Number of tensors in one layer of {@code c} (for the quick config-against-checkpoint check). */
    public static int perLayer(ModelConfig c) {
        // distinct names: a family may store several roles in one tensor (LLaDA 2's fused q/k/v)
        java.util.Set<String> names = new java.util.HashSet<>();
        for (TensorRole r : TensorRole.values()) if (r.present(c)) names.add(c.family().layerTensor(0, r));
        return names.size();
    }
}
