package org.unmask.study;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.api.Generation;
import org.unmask.api.UnmaskModel;
import org.unmask.data.Tokens;
import org.unmask.diffusion.ScoredSequence;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.kernels.AttentionPattern;
import org.unmask.train.Budget;
import org.unmask.train.ObjectiveKind;
import org.unmask.train.Rng;
import org.unmask.views.LossCurveSvg;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The reversal curse (Berglund et al. 2023; LLaDA's poem completion): pairs of synthetic k-token lines are trained in
 * one order only, {@code BOS A SEP B EOS}, and each model is asked for B given A (forward) and for A given B
 * (backward). The AR model answers by greedy continuation of {@code BOS A SEP} and {@code BOS B SEP}; the diffusion
 * model by filling the masked side of {@code BOS A SEP [MASK]×k EOS} and {@code BOS [MASK]×k SEP B EOS}.
 */
public final class ReversalStudy implements Study {
    static final int EOS = 0, BOS = 1, MASK = 2, SEP = 3, FIRST_WORD = 4;
    private static final long TASK_SEED = 77;

    /** The task: {@code pairs} facts of two {@code k}-token lines over {@code words} word ids, every line distinct. */
    record Task(int words, int k, List<int[]> a, List<int[]> b) {
        static Task generate(int words, int k, int pairs) {
            Rng rng = new Rng(TASK_SEED);
            Set<List<Integer>> seen = new HashSet<>();
            List<int[]> lines = new ArrayList<>();
            while (lines.size() < 2 * pairs) {
                int[] line = new int[k];
                for (int i = 0; i < k; i++) line[i] = FIRST_WORD + rng.nextInt(words);
                if (seen.add(Arrays.stream(line).boxed().toList())) lines.add(line);
            }
            return new Task(words, k, lines.subList(0, pairs), lines.subList(pairs, 2 * pairs));
        }

        int length() { return 2 * k + 3; }

        int vocab() { return FIRST_WORD + words; }

        int[] fact(int j) {
            int[] f = new int[length()];
            f[0] = BOS;
            System.arraycopy(a.get(j), 0, f, 1, k);
            f[k + 1] = SEP;
            System.arraycopy(b.get(j), 0, f, k + 2, k);
            f[2 * k + 2] = EOS;
            return f;
        }

        ArmData data() {
            int[] all = new int[a.size() * length()];
            List<ScoredSequence> facts = new ArrayList<>();
            for (int j = 0; j < a.size(); j++) {
                int[] f = fact(j);
                System.arraycopy(f, 0, all, j * length(), length());
                facts.add(ScoredSequence.of(f));
            }
            return new ArmData(String.format(Locale.ROOT, "synthetic: %d pairs of %d-token lines over %d words, one direction", a.size(), k, words),
                    Tokens.of(all), facts, null);
        }
    }

    /** Exact-match accuracy both ways. */
    record Accuracy(double forward, double backward) {}

    @Override public String name() { return "reversal"; }

    @Override public void run(Harness h) throws IOException {
        Scale s = h.scale();
        Task task = Task.generate(s.pick(16, 32, 64), s.pick(2, 2, 3), s.pick(8, 32, 128));
        Shapes.Shape shape = s.pick(new Shapes.Shape(32, 1, 2, 64), new Shapes.Shape(64, 2, 2, 172), new Shapes.Shape(128, 3, 4, 344));
        ModelConfig config = Shapes.config(shape, task.vocab(), MASK, EOS, BOS, task.length());
        int batch = s.pick(4, 8, 16), epochs = s.pick(40, 1000, 1500);
        double lr = s.pick(3e-3, 3e-3, 2e-3);
        ArmData data = task.data();
        long steps = Math.max(1, task.a().size() / batch) * (long) epochs;

        List<ArmResult> results = new ArrayList<>();
        List<Accuracy> acc = new ArrayList<>();
        Table t = new Table("objective", "seed", "forward (B given A)", "backward (A given B)", "loss on the facts, bits/token");
        for (ObjectiveKind kind : Arm.COMPARED)
            for (long seed : h.seeds()) {
                Arm arm = Arm.scratch(kind.spelling() + "-s" + seed, config, kind, seed, Budget.epochs(epochs), lr, batch,
                        task.length(), Math.max(1, steps / 10), data);
                ArmResult r = h.train(arm);
                Accuracy a = evaluate(task, arm, h);
                results.add(r);
                acc.add(a);
                ObjectNode row = JsonNodeFactory.instance.objectNode();
                row.put("arm", arm.name());
                row.put("objective", kind.spelling());
                row.put("seed", seed);
                row.put("forward_accuracy", a.forward());
                row.put("backward_accuracy", a.backward());
                h.ledger().put("accuracy:" + arm.name(), row);
                t.row(kind.spelling(), seed, pct(a.forward()), pct(a.backward()), String.format(Locale.ROOT, "%.4f", r.finalBits()));
                h.log("%s: forward %.1f%%, backward %.1f%%", arm.name(), 100 * a.forward(), 100 * a.backward());
            }
        Table mean = new Table("objective", "seeds", "forward accuracy", "backward accuracy");
        for (ObjectiveKind kind : Arm.COMPARED) {
            List<Accuracy> g = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) if (results.get(i).arm().objective() == kind) g.add(acc.get(i));
            mean.row(kind.spelling(), g.size(), Spread.of(g.stream().mapToDouble(x -> 100 * x.forward()).toArray()).format(1) + "%",
                    Spread.of(g.stream().mapToDouble(x -> 100 * x.backward()).toArray()).format(1) + "%");
        }
        List<LossCurveSvg.Series> curves = new ArrayList<>();
        for (ArmResult r : results)
            curves.add(Harness.series(r.arm().name(), (r.arm().objective() == ObjectiveKind.AR ? 1 : 0) + 2 * (int) (r.arm().seed() % 3),
                    r.curve(r::epochs)));
        h.plot("loss.svg", "loss on the trained facts (" + shape.label() + ")", "epochs",
                "bits per token (AR: exact NLL, diffusion: ELBO)", curves);
        h.summary("# Study: reversal (" + s.spelling() + ")\n\n"
                + String.format(Locale.ROOT, "%s; model %s (%.2fM parameters), %d epochs, batch %d, lr %.0e. Exact match of the whole line.%n%n",
                data.name(), shape.label(), config.parameterCount() / 1e6, epochs, batch, lr)
                + mean.markdown() + "\nPer arm:\n\n" + t.markdown()
                + "\nAR: greedy continuation of `BOS A SEP` (forward) and `BOS B SEP` (backward). Diffusion: low-confidence, greedy "
                + "infilling of the masked side, one token per step. Plot: [loss](loss.svg).\n");
    }

    private static String pct(double v) { return String.format(Locale.ROOT, "%.1f%%", 100 * v); }

    /** Asks the trained arm for every pair in both directions. */
    static Accuracy evaluate(Task task, Arm arm, Harness h) throws IOException {
        Transformer model = h.load(arm);
        int n = task.a().size(), k = task.k(), fwd = 0, bwd = 0;
        UnmaskModel diffusion = arm.objective() == ObjectiveKind.DIFFUSION ? UnmaskModel.of(model, Optional.empty()) : null;
        for (int j = 0; j < n; j++) {
            int[] a = task.a().get(j), b = task.b().get(j);
            if (diffusion != null) {
                int[] f = task.fact(j), back = task.fact(j);
                Arrays.fill(f, k + 2, 2 * k + 2, MASK);
                Arrays.fill(back, 1, k + 1, MASK);
                if (Arrays.equals(fill(diffusion, f), task.fact(j))) fwd++;
                if (Arrays.equals(fill(diffusion, back), task.fact(j))) bwd++;
            } else {
                if (Arrays.equals(greedy(model, prompt(a), k), b)) fwd++;
                if (Arrays.equals(greedy(model, prompt(b), k), a)) bwd++;
            }
        }
        return new Accuracy((double) fwd / n, (double) bwd / n);
    }

    private static int[] fill(UnmaskModel model, int[] canvas) {
        Generation g = model.infill(canvas, model.sampling().temperature(0), null);
        return g.canvas();
    }

    private static int[] prompt(int[] line) {
        int[] p = new int[line.length + 2];
        p[0] = BOS;
        System.arraycopy(line, 0, p, 1, line.length);
        p[line.length + 1] = SEP;
        return p;
    }

    /** {@code n} tokens of greedy next-token continuation under the causal mask. */
    static int[] greedy(Transformer model, int[] prompt, int n) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + n);
        int vocab = model.config().embeddingSize();
        for (int i = 0; i < n; i++) {
            int len = prompt.length + i;
            float[] logits = model.logits(Arrays.copyOf(ids, len), 1, len, null, new int[] {len - 1}, AttentionPattern.CAUSAL);
            int best = 0;
            for (int v = 1; v < vocab; v++) if (logits[v] > logits[best]) best = v;
            ids[len] = best;
        }
        return Arrays.copyOfRange(ids, prompt.length, prompt.length + n);
    }
}
