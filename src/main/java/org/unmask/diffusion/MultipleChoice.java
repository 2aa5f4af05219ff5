package org.unmask.diffusion;

import org.unmask.data.ChoiceTask;
import org.unmask.model.Denoiser;
import org.unmask.text.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Multiple-choice accuracy by likelihood, scored as lm-evaluation-harness scores it: each choice gets
 * log p(choice | context) from {@link Likelihood}; {@code acc} takes the argmax, {@code acc_norm} the argmax of the
 * log-likelihood divided by the choice's length in UTF-8 bytes.
 */
public final class MultipleChoice {
    private MultipleChoice() {}

    /** Accuracy over {@code tasks} items, plain and length-normalised. */
    public record Result(int tasks, double accuracy, double normalizedAccuracy) {}

    /** Receives the running accuracies after each task. */
    @FunctionalInterface
    public interface Progress { void update(int done, double accuracy, double normalizedAccuracy); }

    /**
     * Scores every task; a one-token choice is exact with a single draw, longer ones use {@code mcNum} draws in
     * batches of {@code batch}; the seed of choice c of task i is {@code seed + 1000·i + c}.
     */
    public static Result evaluate(Denoiser model, Tokenizer tok, List<ChoiceTask> tasks, int mcNum, int batch,
                                  double cfgScale, long seed, Progress progress) {
        int correct = 0, correctNorm = 0;
        for (int i = 0; i < tasks.size(); i++) {
            ChoiceTask task = tasks.get(i);
            int best = 0, bestNorm = 0;
            double bestLl = Double.NEGATIVE_INFINITY, bestLlNorm = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < task.choices().size(); c++) {
                int[][] pair = Likelihood.encodePair(tok, task.context(), task.choices().get(c));
                boolean one = pair[1].length == 1;
                double ll = Likelihood.logLikelihood(model, pair[0], pair[1], one ? 1 : mcNum, one ? 1 : batch,
                        cfgScale, seed + 1000L * i + c);
                double norm = ll / Math.max(1, task.choices().get(c).getBytes(StandardCharsets.UTF_8).length);
                if (ll > bestLl) { bestLl = ll; best = c; }
                if (norm > bestLlNorm) { bestLlNorm = norm; bestNorm = c; }
            }
            if (best == task.gold()) correct++;
            if (bestNorm == task.gold()) correctNorm++;
            if (progress != null) progress.update(i + 1, correct / (double) (i + 1), correctNorm / (double) (i + 1));
        }
        return new Result(tasks.size(), correct / (double) tasks.size(), correctNorm / (double) tasks.size());
    }
}
