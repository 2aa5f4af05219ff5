package org.unmask.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The shape and cadence of a run, saved with its checkpoints so that a bare {@code --resume} continues with the same
 * batches, clipping, weight decay, validation and checkpoint intervals: the batch shape decides which windows the
 * saved data position points at, so a resume with another shape is no longer exact. {@code valWindows} and
 * {@code valGrid} are 0 for a run without validation.
 */
public record RunSettings(int batch, int seqLen, int gradAccum, double clip, double weightDecay, long valEvery,
                          long saveEvery, int valWindows, int valGrid) {

    /** The settings of a trainer's {@code options}, validated on {@code validation} (nullable). */
    static RunSettings of(TrainOptions options, Validation validation) {
        return new RunSettings(options.batch(), options.seqLen(), options.gradAccum(), options.clip(), options.weightDecay(),
                options.valEvery(), options.saveEvery(), validation == null ? 0 : validation.windows(),
                validation == null ? 0 : validation.grid());
    }

    ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("batch", batch);
        n.put("seq_len", seqLen);
        n.put("grad_accum", gradAccum);
        n.put("clip", clip);
        n.put("weight_decay", weightDecay);
        n.put("val_every", valEvery);
        n.put("save_every", saveEvery);
        n.put("val_windows", valWindows);
        n.put("val_grid", valGrid);
        return n;
    }

    /** The settings in {@code n}, or null when the checkpoint predates them; errors name the field. */
    static RunSettings fromJson(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (!n.isObject()) throw new IllegalArgumentException("field 'settings' must be an object, got " + n);
        return new RunSettings((int) whole(n, "batch", 1), (int) whole(n, "seq_len", 2), (int) whole(n, "grad_accum", 1),
                number(n, "clip"), number(n, "weight_decay"), whole(n, "val_every", 0), whole(n, "save_every", 0),
                (int) whole(n, "val_windows", 0), (int) whole(n, "val_grid", 0));
    }

    private static long whole(JsonNode n, String name, long min) {
        JsonNode v = n.get(name);
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < min || v.asLong() > Integer.MAX_VALUE)
            throw new IllegalArgumentException("field 'settings." + name + "' must be a whole number of at least " + min + ", got " + v);
        return v.asLong();
    }

    private static double number(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < 0)
            throw new IllegalArgumentException("field 'settings." + name + "' must be a number of at least 0, got " + v);
        return v.asDouble();
    }
}
