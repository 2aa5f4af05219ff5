package org.unmask.study;

import org.unmask.model.ModelConfig;
import org.unmask.train.Budget;
import org.unmask.train.ObjectiveKind;
import org.unmask.views.LossCurveSvg;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Scaling at small scale: two or three model sizes trained with the same compute, AR and diffusion, to show which
 * way held-out loss moves with size on this machine (random windows of a large subset, so no epoch is repeated).
 */
public final class ScalingStudy implements Study {
    @Override public String name() { return "scaling"; }

    @Override public void run(Harness h) throws IOException {
        Scale s = h.scale();
        List<Shapes.Shape> shapes = s.pick(
                List.of(new Shapes.Shape(16, 1, 2, 44), new Shapes.Shape(32, 1, 2, 88)),
                List.of(new Shapes.Shape(32, 1, 2, 88), new Shapes.Shape(64, 2, 2, 172), new Shapes.Shape(128, 2, 4, 344)),
                List.of(new Shapes.Shape(64, 2, 2, 172), new Shapes.Shape(128, 3, 4, 344), new Shapes.Shape(256, 4, 4, 704)));
        CorpusArms arms = new CorpusArms(h, s.pick(32, 64, 128), 8, s.pick(4, 24, 32), s.pick(3e-3, 2e-3, 1.5e-3));
        long unique = s.pick(16_384, 1_000_000, 2_500_000);
        // the compute of the middle size on this many tokens is every arm's budget
        long referenceTokens = s.pick(4_096, 300_000, 1_500_000);
        ModelConfig middle = arms.config(shapes.get(shapes.size() / 2));
        double budget = ArmResult.flopsPerToken(middle, arms.seqLen()) * referenceTokens;

        List<List<ArmResult>> ar = new ArrayList<>(), diff = new ArrayList<>();
        List<LossCurveSvg.Series> curves = new ArrayList<>();
        int colour = 0;
        for (Shapes.Shape shape : shapes) {
            ModelConfig c = arms.config(shape);
            long steps = Math.max(1, Math.round(budget / (ArmResult.flopsPerToken(c, arms.seqLen()) * arms.batch() * arms.seqLen())));
            List<ArmResult> a = new ArrayList<>(), d = new ArrayList<>();
            for (long seed : h.seeds())
                for (ObjectiveKind kind : Arm.COMPARED) {
                    ArmResult r = h.train(arms.arm(kind.spelling() + "-" + shape.dModel() + "x" + shape.layers() + "-s" + seed, shape, kind, seed,
                            Budget.steps(steps), Math.max(1, steps / 8), unique));
                    (kind == ObjectiveKind.AR ? a : d).add(r);
                }
            ar.add(a);
            diff.add(d);
            curves.add(Harness.series("AR " + shape.label(), colour, Curves.mean(a, st -> a.getFirst().flops(st) / 1e12)));
            curves.add(Harness.series("diffusion " + shape.label(), colour + 1, Curves.mean(d, st -> d.getFirst().flops(st) / 1e12)));
            colour += 2;
        }
        List<LossCurveSvg.Point> arPts = new ArrayList<>(), diffPts = new ArrayList<>();
        Table t = new Table("model", "parameters", "steps", "tokens", "AR exact NLL (bits/token)", "diffusion ELBO (bits/token)", "gap");
        for (int i = 0; i < shapes.size(); i++) {
            ArmResult first = ar.get(i).getFirst();
            double params = first.arm().config().parameterCount() / 1e6;
            Spread a = DataConstrainedStudy.spread(ar.get(i), ArmResult::finalBits), d = DataConstrainedStudy.spread(diff.get(i), ArmResult::finalBits);
            arPts.add(new LossCurveSvg.Point(params, a.mean()));
            diffPts.add(new LossCurveSvg.Point(params, d.mean()));
            long steps = (long) first.curve().getLast().step();
            t.row(shapes.get(i).label(), String.format(Locale.ROOT, "%.2fM", params), steps, String.format(Locale.ROOT, "%,d", first.tokens(steps)),
                    a.format(4), d.format(4), String.format(Locale.ROOT, "%+.4f", d.mean() - a.mean()));
        }
        h.plot("size.svg", String.format(Locale.ROOT, "held-out loss at %.2f TFLOPs against model size", budget / 1e12),
                "parameters (millions)", "bits per token (AR: exact NLL, diffusion: ELBO)",
                List.of(Harness.series("AR", 1, arPts), Harness.series("diffusion", 0, diffPts)));
        h.plot("compute.svg", "held-out loss against compute (mean over seeds)", "training compute (TFLOPs)", "bits per token", curves);
        h.summary("# Study: scaling at small scale (" + s.spelling() + ")\n\n"
                + String.format(Locale.ROOT, "Every arm spends %.3f TFLOPs (the middle size on %,d tokens; 6·N·D-style count from "
                        + "model.ModelFlops), sequences of %d, batch %d, random windows of the first %,d training tokens, seeds %d.%n%n",
                budget / 1e12, referenceTokens, arms.seqLen(), arms.batch(), unique, h.seeds().length)
                + t.markdown() + "\nPlots: [size](size.svg), [compute](compute.svg).\n");
    }
}
