package org.unmask.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Everything besides the weights and AdamW moments that a resumed run needs to continue exactly: progress counters,
 * the masking generator, the data position, the learning-rate schedule and scale, the NaN counters, and the length of
 * the attention anneal (0 when there is none), the run's budget (so that a bare {@code --resume} finishes the run it
 * names; null in checkpoints written before it was saved), and the interval the masking rates are drawn from (so that
 * a resumed run keeps it when the default changes; null for AR runs and older checkpoints), and the decay of the
 * weight average ({@link WeightAverage}; 0 when the run keeps none), and the weighting of the masked tokens' losses
 * (null for AR runs; absent in older checkpoints, which all used the ELBO weights), and whether the masking rates are
 * stratified over the batch (null for AR runs and checkpoints written before it was saved), and the run's batch shape
 * and cadence ({@link RunSettings}; null in checkpoints written before they were saved).
 */
public record TrainerState(
        long step, long tokensSeen, long elapsedMillis, String objective, long seed,
        long[] rng, JsonNode data, LrSchedule schedule, double lrScale,
        long nanSkipped, int nanInARow, int nanRecoveries, long annealSteps, Budget budget, double[] maskRates,
        double emaDecay, LossWeighting lossWeighting, Boolean stratified, RunSettings settings) {

    /** File name inside a checkpoint directory. */
    public static final String FILE = "trainer_state.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The state as JSON. Longs that need all 64 bits are written as strings so any JSON reader keeps them. */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("format", 1);
        n.put("step", step);
        n.put("tokens_seen", tokensSeen);
        n.put("elapsed_ms", elapsedMillis);
        n.put("objective", objective);
        n.put("seed", seed);
        n.set("rng", longs(rng));
        n.set("data", data);
        ObjectNode s = n.putObject("lr_schedule");
        s.put("kind", schedule.kind().name().toLowerCase(java.util.Locale.ROOT));
        s.put("peak", schedule.peak());
        s.put("warmup_steps", schedule.warmupSteps());
        s.put("min_ratio", schedule.minRatio());
        s.put("decay_fraction", schedule.decayFraction());
        n.put("lr_scale", lrScale);
        n.put("anneal_steps", annealSteps);
        if (maskRates != null) n.putArray("mask_rates").add(maskRates[0]).add(maskRates[1]);
        if (emaDecay > 0) n.put("ema_decay", emaDecay);
        if (lossWeighting != null) n.put("loss_weighting", lossWeighting.cliName());
        if (stratified != null) n.put("stratified", stratified);
        if (settings != null) n.set("settings", settings.toJson());
        if (budget != null) {
            ObjectNode b = n.putObject("budget");
            if (budget.maxSteps() > 0) b.put("max_steps", budget.maxSteps());
            else if (budget.epochs() > 0) b.put("epochs", budget.epochs());
            else b.put("time_ms", budget.time().toMillis());
        }
        ObjectNode nan = n.putObject("nan");
        nan.put("skipped_steps", nanSkipped);
        nan.put("in_a_row", nanInARow);
        nan.put("recoveries", nanRecoveries);
        return n;
    }

    /** Writes {@code dir/trainer_state.json}. */
    public void write(Path dir) throws IOException {
        AtomicFile.write(dir.resolve(FILE), tmp -> JSON.writeValue(tmp.toFile(), toJson()));
    }

    /**
     * Whether {@code dir} was written by an autoregressive run ({@code "objective": "ar"}), read without the rest of
     * the state: a model directory may be a copy of a checkpoint, or carry another tool's trainer_state.json, which
     * has no such field (false, as without the file); errors name the file.
     */
    public static boolean autoregressive(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) return false;
        try {
            JsonNode n = JSON.readTree(file.toFile());
            return n != null && n.path("objective").asText("").equals(ObjectiveKind.AR.spelling());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Reads {@code dir/trainer_state.json}; errors name the file and the field. */
    public static TrainerState read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file (not a training checkpoint)");
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        try {
            JsonNode s = field(n, "lr_schedule");
            LrSchedule schedule = new LrSchedule(LrSchedule.kind(field(s, "kind").asText()), field(s, "peak").asDouble(),
                    field(s, "warmup_steps").asLong(), field(s, "min_ratio").asDouble(), field(s, "decay_fraction").asDouble());
            JsonNode nan = field(n, "nan");
            return new TrainerState(field(n, "step").asLong(), field(n, "tokens_seen").asLong(), field(n, "elapsed_ms").asLong(),
                    field(n, "objective").asText(), field(n, "seed").asLong(), longs(field(n, "rng"), "rng"), field(n, "data"),
                    schedule, field(n, "lr_scale").asDouble(), field(nan, "skipped_steps").asLong(),
                    field(nan, "in_a_row").asInt(), field(nan, "recoveries").asInt(),
                    n.path("anneal_steps").asLong(0),   // absent in checkpoints written before annealing existed
                    budget(n.get("budget")), maskRates(n.get("mask_rates")), emaDecay(n.get("ema_decay")),
                    lossWeighting(n.get("loss_weighting")), stratified(n.get("stratified")),
                    RunSettings.fromJson(n.get("settings")));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The saved masking-rate interval, or null (an AR run, or a checkpoint that predates it). */
    private static double[] maskRates(JsonNode r) {
        if (r == null || r.isNull()) return null;
        if (!r.isArray() || r.size() != 2 || !r.get(0).isNumber() || !r.get(1).isNumber())
            throw new IllegalArgumentException("field 'mask_rates' must be [low, high], got " + r);
        return new double[]{r.get(0).asDouble(), r.get(1).asDouble()};
    }

    /** The saved loss weighting, or null (an AR run, or a checkpoint that predates it). */
    private static LossWeighting lossWeighting(JsonNode w) {
        if (w == null || w.isNull()) return null;
        if (!w.isTextual()) throw new IllegalArgumentException("field 'loss_weighting' must be \"elbo\" or \"mean\", got " + w);
        try {
            return LossWeighting.parse(w.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field 'loss_weighting': " + e.getMessage(), e);
        }
    }

    /** Whether the saved run stratifies its masking rates, or null (an AR run, or a checkpoint that predates it). */
    private static Boolean stratified(JsonNode s) {
        if (s == null || s.isNull()) return null;
        if (!s.isBoolean()) throw new IllegalArgumentException("field 'stratified' must be true or false, got " + s);
        return s.asBoolean();
    }

    /** The saved decay of the weight average, 0 when the run keeps none. */
    private static double emaDecay(JsonNode d) {
        if (d == null || d.isNull()) return 0;
        if (!d.isNumber() || !(d.asDouble() > 0 && d.asDouble() < 1))
            throw new IllegalArgumentException("field 'ema_decay' must be a number in (0, 1), got " + d);
        return d.asDouble();
    }

    /** The saved budget, or null when the checkpoint predates it. */
    private static Budget budget(JsonNode b) {
        if (b == null || b.isNull()) return null;
        if (b.has("max_steps")) return Budget.steps(field(b, "max_steps").asLong());
        if (b.has("epochs")) return Budget.epochs(field(b, "epochs").asDouble());
        if (b.has("time_ms")) return Budget.time(java.time.Duration.ofMillis(field(b, "time_ms").asLong()));
        throw new IllegalArgumentException("field 'budget' needs one of max_steps, epochs, time_ms");
    }

    private static JsonNode field(JsonNode n, String name) {
        JsonNode v = n == null ? null : n.get(name);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing field '" + name + "'");
        return v;
    }

    /** A long array as JSON strings (exact for all 64 bits). */
    static ArrayNode longs(long[] values) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (long v : values) a.add(Long.toString(v));
        return a;
    }

    /** Reads an array written by {@link #longs(long[])}. */
    static long[] longs(JsonNode a, String field) {
        if (a == null || !a.isArray()) throw new IllegalArgumentException("field '" + field + "' must be an array");
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = Long.parseLong(a.get(i).asText());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("field '" + field + "' holds a non-integer " + a.get(i));
            }
        }
        return out;
    }
}
