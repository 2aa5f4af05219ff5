package org.unmask.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The shape and cadence of a run, saved with its checkpoints so that a bare {@code --resume} continues with the same
 * batches, clipping, weight decay, validation and checkpoint intervals: the batch shape decides which windows the
 * saved data position points at, so a resume with another shape is no longer exact. {@code valWindows} and
 * {@code valGrid} are 0 for a run without validation; {@code validCorpus} names the validation corpus of a run that
 * validates on one of its own ({@code train --valid-corpus}), and is null when the windows are held out of the
 * training corpus (which then trains on less of it, so the two do not resume into each other exactly).
 */
public record RunSettings(int batch, int seqLen, int gradAccum, double clip, double weightDecay, long valEvery,
                          long saveEvery, int valWindows, int valGrid, String validCorpus) {

    /** The settings of a trainer's {@code options}, validated on {@code validation} (nullable). */
    static RunSettings of(TrainOptions options, Validation validation) {
        return new RunSettings(options.batch(), options.seqLen(), options.gradAccum(), options.clip(), options.weightDecay(),
                options.valEvery(), options.saveEvery(), validation == null ? 0 : validation.windows(),
                validation == null ? 0 : validation.grid(), validation == null ? null : validation.corpus());
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
        if (validCorpus != null) n.put("valid_corpus", validCorpus);
        return n;
    }

    /** The settings in {@code n}, or null when the checkpoint predates them; errors name the field. */
    static RunSettings fromJson(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (!n.isObject()) throw new IllegalArgumentException("field 'settings' must be an object, got " + n);
        return new RunSettings((int) whole(n, "batch", 1), (int) whole(n, "seq_len", 2), (int) whole(n, "grad_accum", 1),
                number(n, "clip"), number(n, "weight_decay"), whole(n, "val_every", 0), whole(n, "save_every", 0),
                (int) whole(n, "val_windows", 0), (int) whole(n, "val_grid", 0), text(n, "valid_corpus"));
    }

    private static long whole(JsonNode n, String name, long min) {
        JsonNode v = n.get(name);
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < min || v.asLong() > Integer.MAX_VALUE)
            throw new IllegalArgumentException("field 'settings." + name + "' must be a whole number of at least " + min + ", got " + v);
        return v.asLong();
    }

    /** An optional string field: null when absent (checkpoints written before it existed, or nothing to say). */
    private static String text(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual() || v.asText().isEmpty())
            throw new IllegalArgumentException("field 'settings." + name + "' must be a non-empty string, got " + v);
        return v.asText();
    }

    private static double number(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < 0)
            throw new IllegalArgumentException("field 'settings." + name + "' must be a number of at least 0, got " + v);
        return v.asDouble();
    }
}
