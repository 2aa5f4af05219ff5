package org.unmask.study;

import org.unmask.model.ModelConfig;
import org.unmask.train.Budget;
import org.unmask.train.ObjectiveKind;

import java.io.IOException;

/**
 * Arms trained on the shipped corpus under the study tokenizer: the first {@code uniqueTokens} tokens in the fixed
 * document order, validated on the same windows of the validation split.
 *
 * @param harness    the study's harness
 * @param seqLen     tokens per sequence
 * @param batch      sequences per step
 * @param valWindows validation windows of {@code seqLen} tokens
 * @param lr         peak learning rate
 */
public record CorpusArms(Harness harness, int seqLen, int batch, int valWindows, double lr) {

    /** The model of {@code shape} with the study tokenizer's ids. */
    public ModelConfig config(Shapes.Shape shape) throws IOException {
        return Shapes.config(shape, harness.data().tokenizer(), seqLen);
    }

    /** The data of an arm on the first {@code uniqueTokens} training tokens. */
    public ArmData data(long uniqueTokens) throws IOException {
        StudyData d = harness.data();
        return new ArmData("default (shuffled documents), first " + uniqueTokens + " tokens", d.train(uniqueTokens),
                d.valid(valWindows, seqLen), d.tokenizerFile());
    }

    /** An arm from scratch. */
    public Arm arm(String name, Shapes.Shape shape, ObjectiveKind kind, long seed, Budget budget, long valEvery, long uniqueTokens)
            throws IOException {
        return Arm.scratch(name, config(shape), kind, seed, budget, lr, batch, seqLen, valEvery, data(uniqueTokens));
    }

    /** Steps of an epoch over {@code uniqueTokens} tokens. */
    public long stepsPerEpoch(long uniqueTokens) {
        return Math.max(1, uniqueTokens / seqLen / batch);
    }
}
