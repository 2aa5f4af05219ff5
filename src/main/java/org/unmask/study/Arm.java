package org.unmask.study;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.model.ModelConfig;
import org.unmask.train.Budget;
import org.unmask.train.ObjectiveKind;
import org.unmask.train.WarmStart;

import java.nio.file.Path;

/**
 * One training run of a study: a model, an objective, a seed, a budget and its data. Its run directory is
 * {@code DIR/arms/NAME}; {@link #identity} is saved there, so that a re-run resumes or skips only the same arm.
 *
 * @param name       directory name, unique in the study
 * @param config     the model (with the tokenizer's special ids)
 * @param objective  diffusion or AR
 * @param seed       initialisation, data order and masks
 * @param budget     steps or epochs
 * @param lr         peak learning rate (cosine decay, default warmup)
 * @param batch      sequences per step
 * @param seqLen     tokens per sequence
 * @param valEvery   validate every this many steps (and at the end)
 * @param data       training tokens, validation windows, tokenizer
 * @param start      weights to start from (null: random initialisation); an AR start keeps next-token prediction
 * @param annealSteps steps over which attention widens from causal to bidirectional (adapting an AR model)
 */
public record Arm(String name, ModelConfig config, ObjectiveKind objective, long seed, Budget budget, double lr, int batch,
                  int seqLen, long valEvery, ArmData data, WarmStart start, long annealSteps) {

    /** The two objectives the studies compare: masked diffusion and next-token prediction (block diffusion lies between). */
    public static final java.util.List<ObjectiveKind> COMPARED = java.util.List.of(ObjectiveKind.DIFFUSION, ObjectiveKind.AR);

    /** Checks the name (a directory of the study). */
    public Arm {
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) throw new IllegalArgumentException("bad arm name '" + name + "'");
        if (data == null) throw new IllegalArgumentException(name + ": no data");
    }

    /** An arm from random weights. */
    public static Arm scratch(String name, ModelConfig config, ObjectiveKind objective, long seed, Budget budget, double lr, int batch,
                              int seqLen, long valEvery, ArmData data) {
        return new Arm(name, config, objective, seed, budget, lr, batch, seqLen, valEvery, data, null, 0);
    }

    /** Tokens per optimizer step. */
    public long tokensPerStep() { return (long) batch * seqLen; }

    /** What must agree for a saved run directory to be this arm's. */
    public ObjectNode identity() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("name", name);
        n.put("objective", objective.spelling());
        n.put("d_model", config.dModel());
        n.put("n_layers", config.nLayers());
        n.put("n_heads", config.nHeads());
        n.put("mlp_hidden_size", config.mlpHiddenSize());
        n.put("vocab_size", config.vocabSize());
        n.put("parameters", config.parameterCount());
        n.put("seed", seed);
        n.put("budget", budget.toString());
        n.put("lr", lr);
        n.put("batch", batch);
        n.put("seq_len", seqLen);
        n.put("val_every", valEvery);
        n.put("val_windows", data.valid().size());
        n.put("data", data.name());
        n.put("train_tokens", data.train().size());
        n.put("init_from", start == null ? "" : start.dir().toString());
        n.put("anneal_steps", annealSteps);
        return n;
    }

    /** The run directory of this arm in the study directory {@code out}. */
    public Path dir(Path out) { return out.resolve("arms").resolve(name); }
}
