package org.unmask.study;

import org.unmask.train.Budget;
import org.unmask.train.ObjectiveKind;
import org.unmask.views.LossCurveSvg;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Super data learners (Ni et al. 2025): AR and diffusion models of one size trained for many epochs on a small fixed
 * subset of the corpus; held-out loss against epochs and compute, whether the diffusion curve crosses below the AR
 * one, and a sweep of the unique data at the same total tokens.
 */
public final class DataConstrainedStudy implements Study {
    @Override public String name() { return "data-constrained"; }

    @Override public void run(Harness h) throws IOException {
        Scale s = h.scale();
        Shapes.Shape shape = s.pick(new Shapes.Shape(32, 1, 2, 88), new Shapes.Shape(64, 2, 2, 172), new Shapes.Shape(128, 2, 4, 344));
        CorpusArms arms = new CorpusArms(h, s.pick(32, 64, 128), s.pick(4, 8, 8), s.pick(4, 24, 32), s.pick(3e-3, 2e-3, 1.5e-3));
        long unique = s.pick(1_024, 40_000, 200_000);
        int epochs = s.pick(4, 20, 32);
        long[] sweep = s.pick(new long[] {512}, new long[] {20_000, 80_000}, new long[] {100_000, 400_000});
        long totalTokens = unique * epochs;

        List<ArmResult> ar = new ArrayList<>(), diff = new ArrayList<>();
        for (long seed : h.seeds())
            for (ObjectiveKind kind : Arm.COMPARED) {
                long steps = arms.stepsPerEpoch(unique) * epochs;
                ArmResult r = h.train(arms.arm(kind.spelling() + "-u" + unique + "-s" + seed, shape, kind, seed, Budget.epochs(epochs),
                        Math.max(1, steps / s.pick(4, 16, 16)), unique));
                (kind == ObjectiveKind.AR ? ar : diff).add(r);
            }
        // the sweep: the same total tokens over less or more unique data (seed 0; the headline arms give the main point)
        List<ArmResult> sweepAr = new ArrayList<>(), sweepDiff = new ArrayList<>();
        for (long u : sweep) {
            double ep = (double) totalTokens / u;
            for (ObjectiveKind kind : Arm.COMPARED) {
                long steps = Math.round(arms.stepsPerEpoch(u) * ep);
                ArmResult r = h.train(arms.arm(kind.spelling() + "-u" + u + "-s0", shape, kind, 0, Budget.epochs(ep), Math.max(1, steps / s.pick(2, 8, 8)), u));
                (kind == ObjectiveKind.AR ? sweepAr : sweepDiff).add(r);
            }
        }

        ArmResult first = ar.getFirst();
        List<LossCurveSvg.Series> byEpoch = new ArrayList<>(), byCompute = new ArrayList<>();
        for (ArmResult r : concat(ar, diff)) {
            String label = r.arm().objective().spelling() + " seed " + r.arm().seed();
            int colour = (r.arm().objective() == ObjectiveKind.AR ? 1 : 0) + 2 * (int) (r.arm().seed() % 3);
            byEpoch.add(Harness.series(label, colour, r.curve(r::epochs)));
            byCompute.add(Harness.series(label, colour, r.curve(st -> r.flops(st) / 1e12)));
        }
        String sizes = String.format(Locale.ROOT, "%s, %,d unique tokens", shape.label(), unique);
        h.plot("epochs.svg", "held-out loss against epochs (" + sizes + ")", "epochs over the unique tokens",
                "bits per token (AR: exact NLL, diffusion: ELBO)", byEpoch);
        h.plot("compute.svg", "held-out loss against compute (" + sizes + ")", "training compute (TFLOPs)",
                "bits per token (AR: exact NLL, diffusion: ELBO)", byCompute);
        List<LossCurveSvg.Point> sweepArPts = new ArrayList<>(), sweepDiffPts = new ArrayList<>();
        List<ArmResult> allAr = new ArrayList<>(sweepAr), allDiff = new ArrayList<>(sweepDiff);
        allAr.add(ar.getFirst());
        allDiff.add(diff.getFirst());
        for (ArmResult r : allAr) sweepArPts.add(new LossCurveSvg.Point(r.arm().data().train().size() / 1e3, r.bestBits()));
        for (ArmResult r : allDiff) sweepDiffPts.add(new LossCurveSvg.Point(r.arm().data().train().size() / 1e3, r.bestBits()));
        sweepArPts.sort(java.util.Comparator.comparingDouble(LossCurveSvg.Point::step));
        sweepDiffPts.sort(java.util.Comparator.comparingDouble(LossCurveSvg.Point::step));
        h.plot("sweep.svg", String.format(Locale.ROOT, "best held-out loss at %,d training tokens against unique data", totalTokens),
                "unique training tokens (thousands)", "best bits per token", List.of(
                        Harness.series("AR (exact NLL)", 1, sweepArPts), Harness.series("diffusion (ELBO)", 0, sweepDiffPts)));

        // the reading
        List<LossCurveSvg.Point> arMean = Curves.mean(ar, first::epochs), diffMean = Curves.mean(diff, first::epochs);
        double cross = Curves.belowFrom(diffMean, arMean);
        Table head = new Table("objective", "seeds", "final bits/token", "best bits/token", "epoch of best", "figure");
        for (List<ArmResult> group : List.of(ar, diff)) {
            ArmResult g = group.getFirst();
            head.row(g.arm().objective().spelling(), group.size(), spread(group, ArmResult::finalBits).format(4),
                    spread(group, ArmResult::bestBits).format(4), spread(group, r -> r.epochs(r.bestStep())).format(1),
                    g.arm().objective() == ObjectiveKind.AR ? "exact NLL" : "ELBO (upper bound)");
        }
        Table sw = new Table("unique tokens", "epochs", "AR best", "AR final", "diffusion best", "diffusion final");
        for (int k = 0; k < allAr.size(); k++) {
            ArmResult a = allAr.get(k), d = allDiff.get(k);
            sw.row(String.format(Locale.ROOT, "%,d", a.arm().data().train().size()), String.format(Locale.ROOT, "%.1f", a.epochs(a.curve().getLast().step())),
                    f4(a.bestBits()), f4(a.finalBits()), f4(d.bestBits()), f4(d.finalBits()));
        }
        String crossing = Double.isNaN(cross)
                ? "At the end of training the mean diffusion ELBO is above the mean AR NLL: **no crossover** at this scale."
                : cross == diffMean.getFirst().step()
                ? "The mean diffusion ELBO is below the mean AR NLL at every validation point (no crossover: it never was above)."
                : String.format(Locale.ROOT, "The mean diffusion ELBO falls below the mean AR NLL at epoch %.1f and stays below: **a crossover**.", cross);
        double arBest = Curves.min(arMean), diffBest = Curves.min(diffMean);
        String best = String.format(Locale.ROOT, "Best means: AR %.4f bits/token at epoch %.1f, diffusion %.4f at epoch %.1f "
                + "(the diffusion figure is an upper bound, so a diffusion best below the AR best is a conservative win).",
                arBest, Curves.argmin(arMean), diffBest, Curves.argmin(diffMean));
        h.summary("# Study: data-constrained training (" + s.spelling() + ")\n\n"
                + String.format(Locale.ROOT, "Model %s (%.2fM parameters), sequences of %d tokens, batch %d, %,d unique tokens for %d epochs, seeds %d.%n%n",
                shape.label(), first.arm().config().parameterCount() / 1e6, arms.seqLen(), arms.batch(), unique, epochs, h.seeds().length)
                + head.markdown() + "\n" + crossing + " " + best + "\n\n"
                + String.format(Locale.ROOT, "Unique-data sweep at %,d training tokens (seed 0):%n%n", totalTokens) + sw.markdown()
                + "\nPlots: [epochs](epochs.svg), [compute](compute.svg), [sweep](sweep.svg); every arm's curve is in "
                + Ledger.FILE + ".\n");
        h.log("%s", crossing);
    }

    private static List<ArmResult> concat(List<ArmResult> a, List<ArmResult> b) {
        List<ArmResult> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    static Spread spread(List<ArmResult> group, java.util.function.ToDoubleFunction<ArmResult> f) {
        return Spread.of(group.stream().mapToDouble(f).toArray());
    }

    static String f4(double v) { return String.format(Locale.ROOT, "%.4f", v); }
}
