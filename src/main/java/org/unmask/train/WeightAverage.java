package org.unmask.train;

import org.unmask.compute.Parallel;
import org.unmask.model.tensor.Weights;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An exponential moving average of the parameters (Polyak averaging, as MDLM ships its weights): after each optimizer
 * step {@code avg += (1 − d)·(θ − avg)} with {@code d = min(decay, (1 + step)/(10 + step))}, so that a fresh run's
 * average follows its first steps closely. The average smooths the step-to-step noise of the masking rates and the
 * data, which is large in a diffusion loss; a run saves it beside its weights as a model directory of its own
 * ({@link #DIR}) that eval, generate and export read like any other.
 */
public final class WeightAverage {
    /** The sub-directory of a run directory that holds the averaged weights as a model directory. */
    public static final String DIR = "ema";

    private final double decay;
    private final float[] avg;

    /** An average with the given decay, starting at {@code start} (copied). */
    public WeightAverage(double decay, float[] start) {
        if (!(decay > 0 && decay < 1)) throw new IllegalArgumentException("--ema must be a decay in (0, 1), such as 0.999, got " + decay);
        this.decay = decay;
        this.avg = start.clone();
    }

    /** The decay per step. */
    public double decay() { return decay; }

    /** The averaged parameters (live). */
    public float[] values() { return avg; }

    /** Moves the average towards {@code params} after optimizer step {@code step} (counted from 1). */
    public void update(float[] params, long step) {
        if (params.length != avg.length)
            throw new IllegalArgumentException(params.length + " parameters for an average of " + avg.length);
        float rate = (float) (1 - Math.min(decay, (1.0 + step) / (10.0 + step)));
        Parallel.forRange(avg.length, 1 << 16, (from, to) -> {
            for (int i = from; i < to; i++) avg[i] += rate * (params[i] - avg[i]);
        });
    }

    /** Replaces the average by {@code saved} (a checkpoint's). */
    public void restore(float[] saved) {
        if (saved.length != avg.length)
            throw new IllegalArgumentException("the saved average has " + saved.length + " values, the model " + avg.length);
        System.arraycopy(saved, 0, avg, 0, avg.length);
    }

    /**
     * The model's tensors with their values taken from the average: each float32 view into {@code params} becomes the
     * same range of the average.
     */
    public Map<String, Weights> tensors(Map<String, Weights> modelTensors, float[] params) {
        Map<String, Weights> out = new LinkedHashMap<>();
        modelTensors.forEach((name, w) -> {
            if (!(w instanceof Weights.F32 f) || f.data() != params)
                throw new IllegalStateException("tensor " + name + " is not a view of the trained parameters");
            out.put(name, new Weights.F32(avg, f.offset(), f.length()));
        });
        return out;
    }
}
