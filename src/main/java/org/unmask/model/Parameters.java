package org.unmask.model;

import org.unmask.model.tensor.Weights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The trainable parameters of a model in one flat float32 buffer, with a gradient buffer of the same layout; each
 * named tensor is a contiguous slice. One buffer keeps the optimiser, gradient clipping and checkpointing simple
 * loops.
 */
public final class Parameters {

    /** One named tensor: {@code shape} elements starting at {@code offset} of the flat buffers. */
    public record Parameter(String name, int offset, long[] shape) {
        /** Number of elements. */
        public int size() {
            long n = 1;
            for (long s : shape) n *= s;
            return (int) n;
        }

        /** Number of dimensions. */
        public int rank() { return shape.length; }

        @Override public String toString() { return name + Arrays.toString(shape) + "@" + offset; }
    }

    private final float[] values, grads;
    private final List<Parameter> list;
    private final Map<String, Parameter> byName;

    /** The most parameters one float32 buffer holds (Java arrays stop a little short of 2^31 elements). */
    public static final int MAX = Integer.MAX_VALUE - 16;

    /** Rejects a model of {@code count} parameters before any buffer or layout is built for it. */
    public static void requireTrainable(long count) {
        if (count > MAX) {
            throw new IllegalArgumentException("model too large to train in one float32 buffer: " + count
                    + " parameters, at most " + MAX);
        }
    }

    /** Standard deviation of the random matrices of a model trained from scratch. */
    public static final double INIT_STD = 0.02;

    /** A family's tensors as buffers, initialised as each spec says: N(0, std²), ones or zeros, deterministic by seed. */
    public static Parameters initialised(Map<String, TensorSpec> specs, long seed, double std) {
        Parameters p = new Parameters(shapes(specs));
        Random rnd = new Random(seed);
        float[] v = p.values();
        for (Parameter t : p.list()) {
            int from = t.offset(), to = t.offset() + t.size();
            switch (specs.get(t.name()).init()) {
                case ONES -> Arrays.fill(v, from, to, 1f);
                case ZEROS -> Arrays.fill(v, from, to, 0f);
                case GAUSSIAN -> { for (int i = from; i < to; i++) v[i] = (float) (std * rnd.nextGaussian()); }
            }
        }
        return p;
    }

    /**
     * Checks that {@code tensors} holds exactly the tensors of {@code specs} with their sizes (any storage), naming the
     * first missing, mis-sized or unexpected one; returns the shapes.
     */
    public static Map<String, long[]> check(Map<String, TensorSpec> specs, Map<String, Weights> tensors) {
        Map<String, long[]> expected = shapes(specs);
        for (var e : expected.entrySet()) {
            Weights w = tensors.get(e.getKey());
            long n = 1;
            for (long s : e.getValue()) n *= s;
            if (w == null) throw new IllegalArgumentException("missing tensor " + e.getKey() + " " + Arrays.toString(e.getValue()));
            if (w.size() != n)
                throw new IllegalArgumentException("tensor " + e.getKey() + " has " + w.size() + " elements, expected shape "
                        + Arrays.toString(e.getValue()) + " = " + n);
        }
        for (String name : tensors.keySet())
            if (!expected.containsKey(name)) throw new IllegalArgumentException("unexpected tensor " + name + " for this config");
        return expected;
    }

    /** Buffers holding {@code tensors} (checked by {@link #check}) converted to float32. */
    public static Parameters copied(Map<String, long[]> shapes, Map<String, Weights> tensors) {
        Parameters p = new Parameters(shapes);
        for (Parameter t : p.list()) tensors.get(t.name()).toFloat(0, p.values(), t.offset(), t.size());
        return p;
    }

    /** Each tensor as a float32 view into the value buffer, in layout order. */
    public Map<String, Weights> views() {
        Map<String, Weights> m = new LinkedHashMap<>();
        for (Parameter t : list) m.put(t.name(), new Weights.F32(values, t.offset(), t.size()));
        return m;
    }

    private static Map<String, long[]> shapes(Map<String, TensorSpec> specs) {
        Map<String, long[]> m = new LinkedHashMap<>();
        specs.forEach((name, s) -> m.put(name, s.shape()));
        return m;
    }

    /** Zero-filled buffers laid out in the iteration order of {@code shapes}. */
    public Parameters(Map<String, long[]> shapes) {
        List<Parameter> l = new ArrayList<>();
        Map<String, Parameter> m = new LinkedHashMap<>();
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long n = 1;
            for (long s : e.getValue()) n *= s;
            if (offset + n > MAX) {
                throw new IllegalArgumentException("model too large to train in one float32 buffer: more than "
                        + MAX + " parameters (at tensor " + e.getKey() + ")");
            }
            Parameter p = new Parameter(e.getKey(), (int) offset, e.getValue().clone());
            l.add(p);
            m.put(p.name(), p);
            offset += n;
        }
        this.values = new float[(int) offset];
        this.grads = new float[(int) offset];
        this.list = Collections.unmodifiableList(l);
        this.byName = Collections.unmodifiableMap(m);
    }

    /** Parameter values (live: the model reads them on every call). */
    public float[] values() { return values; }

    /** Accumulated gradients, same layout as {@link #values()}. */
    public float[] grads() { return grads; }

    /** All tensors in buffer order. */
    public List<Parameter> list() { return list; }

    /** The tensor called {@code name}. */
    public Parameter get(String name) {
        Parameter p = byName.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter named " + name);
        return p;
    }

    /** Total number of elements. */
    public int size() { return values.length; }

    /** Sets every gradient to zero. */
    public void zeroGrads() { Arrays.fill(grads, 0f); }
}
