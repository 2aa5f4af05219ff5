package org.unmask.train;

import org.unmask.files.AtomicDirectory;
import org.unmask.model.TrainableModel;
import org.unmask.model.ModelConfig;
import org.unmask.model.Parameters;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.SafetensorsFile;
import org.unmask.model.io.SafetensorsWriter;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;
import org.unmask.text.HfTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A run directory that is also a Hugging Face model directory: config.json, model.safetensors and tokenizer.json,
 * plus trainer_state.json and optimizer.safetensors (AdamW m and v) for resuming, and the metrics and loss plot.
 * Every save writes a complete sibling directory and swaps it in ({@link AtomicDirectory}); a crash leaves the
 * previous checkpoint.
 */
public final class RunCheckpoint {
    /** File names in the run directory. */
    public static final String OPTIMIZER = "optimizer.safetensors", TOKENIZER = HfTokenizer.FILE, CONFIG = "config.json";

    private static final long SHARD_BYTES = 4L << 30;

    /** The model directory inside a run that holds the weights of its best validation ({@code train --keep-best}). */
    public static final String BEST = "best";
    /** The record of that validation inside {@link #BEST}: its step and figure. */
    static final String BEST_RECORD = "best.json";

    private RunCheckpoint() {}

    /** Whether {@code dir} holds a resumable checkpoint (after finishing any interrupted swap). */
    public static boolean exists(Path dir) throws IOException {
        AtomicDirectory.recover(dir);
        return Files.isRegularFile(dir.resolve(TrainerState.FILE));
    }

    /**
     * Saves model, optimizer and state as the new version of {@code dir}, carrying over the other files there
     * (tokenizer, metrics); refuses to save a model with NaN or infinite parameters.
     */
    public static void save(Path dir, TrainableModel model, AdamW optimizer, TrainerState state, MetricsLog metrics) throws IOException {
        save(dir, model, optimizer, null, state, metrics);
    }

    /**
     * The same with the run's weight average ({@code ema}, null for none), written as a model directory of its own
     * in {@code dir/ema} (config, float32 weights, the run's tokenizer and state).
     */
    public static void save(Path dir, TrainableModel model, AdamW optimizer, WeightAverage ema, TrainerState state,
                            MetricsLog metrics) throws IOException {
        float[] values = model.parameters().values();
        for (int i = 0; i < values.length; i++)
            if (!Float.isFinite(values[i]))
                throw new IllegalStateException("refusing to save a checkpoint: parameter " + nameAt(model.parameters(), i)
                        + " is not finite; the last good checkpoint in " + dir + " is kept");
        AtomicDirectory.replace(dir, RunCheckpoint::carriedOver, tmp -> {
            Checkpoint.write(tmp, model.config(), model.tensors(), DType.F32, SHARD_BYTES);
            int n = optimizer.m().length;
            SafetensorsWriter.writeF32(tmp.resolve(OPTIMIZER), Map.of("m", optimizer.m(), "v", optimizer.v()),
                    Map.of("m", new long[] {n}, "v", new long[] {n}));
            if (metrics != null) metrics.copyInto(tmp);
            if (ema != null) {
                Path e = Files.createDirectory(tmp.resolve(WeightAverage.DIR));
                Checkpoint.write(e, model.config(), ema.tensors(model.tensors(), values), DType.F32, SHARD_BYTES);
                if (Files.isRegularFile(dir.resolve(TOKENIZER))) Files.copy(dir.resolve(TOKENIZER), e.resolve(TOKENIZER));
                state.write(e);   // names the objective, so that eval and generate treat the average as the run
            }
            state.write(tmp);
        });
    }

    /**
     * Replaces {@code dir/best} by a model directory of {@code tensors} (the weights, or their average, as validated at
     * {@code state}'s step): config, float32 weights, the run's tokenizer, the state (which names the objective, so
     * that eval and generate treat it as the run) and {@value #BEST_RECORD} with the figure it was kept for.
     */
    public static void saveBest(Path dir, ModelConfig config, Map<String, Weights> tensors, TrainerState state,
                                double bitsPerToken, boolean average) throws IOException {
        AtomicDirectory.replace(dir.resolve(BEST), tmp -> {
            Checkpoint.write(tmp, config, tensors, DType.F32, SHARD_BYTES);
            if (Files.isRegularFile(dir.resolve(TOKENIZER))) Files.copy(dir.resolve(TOKENIZER), tmp.resolve(TOKENIZER));
            state.write(tmp);
            var record = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            record.put("step", state.step());
            record.put("val_bpt", bitsPerToken);
            record.put("weights", average ? "average" : "trained");
            Files.writeString(tmp.resolve(BEST_RECORD), record.toPrettyString());
        });
    }

    /** The figure the run's best weights were kept for, if it keeps any; errors name the file. */
    public static java.util.OptionalDouble bestFigure(Path dir) throws IOException {
        Path file = dir.resolve(BEST).resolve(BEST_RECORD);
        if (!Files.isRegularFile(file)) return java.util.OptionalDouble.empty();
        try {
            var v = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile()).get("val_bpt");
            if (v == null || !v.isNumber()) throw new IOException(file + ": field 'val_bpt' must be a number, got " + v);
            return java.util.OptionalDouble.of(v.asDouble());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String nameAt(Parameters p, int index) {
        for (Parameters.Parameter t : p.list())
            if (index >= t.offset() && index < t.offset() + t.size()) return t.name() + "[" + (index - t.offset()) + "]";
        return "#" + index;
    }

    /**
     * Whether an entry of the previous version goes into the new one: everything but the files this class
     * regenerates on every save (and temporary files of older versions, named NAME.tmp).
     */
    private static boolean carriedOver(String name) {
        return !regenerated(name) && !name.endsWith(".tmp");
    }

    private static boolean regenerated(String name) {
        return name.equals(CONFIG) || name.equals(OPTIMIZER) || name.equals(TrainerState.FILE) || name.equals(WeightAverage.DIR)
                || name.equals(MetricsLog.JSONL) || name.equals(MetricsLog.SVG)
                || (name.startsWith("model") && (name.endsWith(".safetensors") || name.endsWith(".index.json")));
    }

    /** The model configuration stored in a run directory. */
    public static ModelConfig config(Path dir) throws IOException {
        return ModelConfig.read(dir.resolve(CONFIG));
    }

    /**
     * Loads the weights and AdamW moments of the checkpoint in {@code dir} into {@code model} and {@code optimizer}
     * (whose shapes must match) and returns the trainer state.
     */
    public static TrainerState restore(Path dir, TrainableModel model, AdamW optimizer) throws IOException {
        AtomicDirectory.recover(dir);
        TrainerState state = TrainerState.read(dir);
        Parameters p = model.parameters();
        loadWeights(dir, model);
        Path opt = dir.resolve(OPTIMIZER);
        try (SafetensorsFile f = SafetensorsFile.open(opt)) {
            for (String name : new String[] {"m", "v"})
                if (!f.tensors().containsKey(name)) throw new IOException(opt + ": missing tensor '" + name + "'");
            float[] m = f.readF32("m"), v = f.readF32("v");
            if (m.length != p.size() || v.length != p.size())
                throw new IOException(opt + ": moments have " + m.length + " elements, the model has " + p.size() + " parameters");
            optimizer.restore(m, v, state.step());
        }
        return state;
    }

    /**
     * Loads the weight average a checkpoint saved into {@code ema}, or starts it again at the model's weights when
     * the checkpoint has none (a run that begins to average on resuming).
     */
    public static void restoreAverage(Path dir, TrainableModel model, WeightAverage ema) throws IOException {
        Path e = dir.resolve(WeightAverage.DIR);
        float[] target = model.parameters().values().clone();
        if (Files.isDirectory(e)) loadWeights(e, model.parameters(), target, java.util.Set.of(), name -> name);
        ema.restore(target);
    }

    /**
     * Loads the weights of the model directory {@code dir} (a run directory or any Hugging Face directory of the same
     * shapes, F32 or BF16) into {@code model}; errors name the directory and the tensor.
     */
    public static void loadWeights(Path dir, TrainableModel model) throws IOException {
        loadWeights(dir, model, java.util.Set.of());
    }

    /** The same, leaving the tensors named in {@code fresh} as initialised when the directory does not have them. */
    public static void loadWeights(Path dir, TrainableModel model, java.util.Set<String> fresh) throws IOException {
        loadWeights(dir, model.parameters(), model.parameters().values(), fresh, name -> name);
    }

    /** The same from a directory of another family's names: {@code storedName} maps each parameter's name to its own. */
    public static void loadWeights(Path dir, TrainableModel model, java.util.function.UnaryOperator<String> storedName) throws IOException {
        loadWeights(dir, model.parameters(), model.parameters().values(), java.util.Set.of(), storedName);
    }

    /** The weights of {@code dir} into {@code target}, laid out as {@code p}'s values. */
    private static void loadWeights(Path dir, Parameters p, float[] target, java.util.Set<String> fresh,
                                    java.util.function.UnaryOperator<String> storedName) throws IOException {
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            Map<String, Weights> tensors = ckpt.tensors();
            for (Parameters.Parameter t : p.list()) {
                String name = storedName.apply(t.name());
                Weights w = name == null ? null : tensors.get(name);
                if (w == null && fresh.contains(t.name())) continue;
                if (w == null) throw new IOException(dir + ": checkpoint lacks tensor " + (name == null ? t.name() : name));
                if (w.size() != t.size()) throw new IOException(dir + ": tensor " + name + " has " + w.size() + " elements, expected " + t.size());
                w.toFloat(0, target, t.offset(), t.size());
            }
        }
    }

    /** Copies every tensor of {@code model}, for tests and comparisons. */
    public static Map<String, float[]> snapshot(TrainableModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        Parameters p = model.parameters();
        for (Parameters.Parameter t : p.list()) {
            float[] a = new float[t.size()];
            System.arraycopy(p.values(), t.offset(), a, 0, a.length);
            out.put(t.name(), a);
        }
        return out;
    }
}
