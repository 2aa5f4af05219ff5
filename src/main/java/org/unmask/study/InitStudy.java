package org.unmask.study;

import org.unmask.diffusion.ScoredSequence;
import org.unmask.train.Budget;
import org.unmask.train.ObjectiveKind;
import org.unmask.train.WarmStart;
import org.unmask.views.LossCurveSvg;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Initialisation: a diffusion model trained from scratch, against one adapted from an autoregressive checkpoint of
 * the same shape (half the compute spent on AR pretraining, half on adaptation: Dream / DiffuLLaMA, with the logit
 * shift and the attention anneal of {@code train --init-from}), against one started from a pretrained encoder
 * ({@code --encoder DIR}, skipped when absent); the ELBO against total training compute, in bits per byte so that an
 * encoder with its own tokenizer compares.
 */
public final class InitStudy implements Study {
    @Override public String name() { return "init"; }

    @Override public void run(Harness h) throws IOException {
        Scale s = h.scale();
        Shapes.Shape shape = s.pick(new Shapes.Shape(32, 1, 2, 88), new Shapes.Shape(96, 2, 3, 256), new Shapes.Shape(128, 3, 4, 344));
        CorpusArms arms = new CorpusArms(h, s.pick(32, 128, 128), 8, s.pick(4, 24, 32), s.pick(3e-3, 2e-3, 1e-3));
        long steps = s.pick(40, 1200, 3000), unique = s.pick(8_192, 1_000_000, 2_500_000), valEvery = Math.max(1, steps / 10);
        List<ScoredSequence> valid = h.data().valid(arms.valWindows(), arms.seqLen());
        double tokensPerByte = (double) arms.valWindows() * arms.seqLen() / h.data().bytes(valid);

        List<ArmResult> scratch = new ArrayList<>(), pre = new ArrayList<>(), adapted = new ArrayList<>();
        for (long seed : h.seeds()) {
            scratch.add(h.train(arms.arm("scratch-s" + seed, shape, ObjectiveKind.DIFFUSION, seed, Budget.steps(steps), valEvery, unique)));
            ArmResult ar = h.train(arms.arm("ar-s" + seed, shape, ObjectiveKind.AR, seed, Budget.steps(steps / 2), valEvery, unique));
            pre.add(ar);
            WarmStart start = WarmStart.of(ar.arm().dir(h.settings().out()));
            Arm a = new Arm("adapted-s" + seed, start.config().withLogitShift(true), ObjectiveKind.DIFFUSION, seed, Budget.steps(steps - steps / 2),
                    arms.lr() * 0.6, arms.batch(), arms.seqLen(), valEvery, arms.data(unique), start, Math.max(1, steps / 20));
            adapted.add(h.train(a));
        }
        EncoderOutcome enc = encoderArm(h, arms, scratch.getFirst().flopsPerToken(), steps, unique);
        ArmResult encoder = enc.result();

        List<LossCurveSvg.Series> curves = new ArrayList<>();
        int i = 0;
        for (ArmResult r : scratch) curves.add(Harness.series("scratch seed " + r.arm().seed(), 0 + 2 * i++, bitsPerByte(r, 0, tokensPerByte)));
        i = 0;
        for (int k = 0; k < adapted.size(); k++) {
            double offset = pre.get(k).flops(pre.get(k).curve().getLast().step());
            curves.add(Harness.series("from AR seed " + adapted.get(k).arm().seed(), 1 + 2 * i++, bitsPerByte(adapted.get(k), offset, tokensPerByte)));
        }
        if (encoder != null) curves.add(Harness.series("from encoder", 4, bitsPerByte(encoder, 0, enc.tokensPerByte())));
        h.plot("compute.svg", "diffusion ELBO against training compute (" + shape.label() + ")", "training compute, TFLOPs (adapted: AR pretraining included)",
                "ELBO, bits per byte", curves);

        Table t = new Table("start", "seeds", "held-out bits/token at the end", "bits/byte at the end", "training compute (TFLOPs)");
        t.row("scratch", scratch.size(), spreadBits(scratch, 1).format(4), spreadBits(scratch, tokensPerByte).format(4), tflops(scratch.getFirst(), 0));
        t.row("AR pretraining (its exact NLL, for reference)", pre.size(), spreadBits(pre, 1).format(4), spreadBits(pre, tokensPerByte).format(4), tflops(pre.getFirst(), 0));
        t.row("adapted from AR", adapted.size(), spreadBits(adapted, 1).format(4), spreadBits(adapted, tokensPerByte).format(4),
                tflops(adapted.getFirst(), pre.getFirst().flops(pre.getFirst().curve().getLast().step())));
        if (encoder != null)
            t.row("from encoder " + h.settings().encoder().getFileName(), 1, String.format(Locale.ROOT, "%.4f", encoder.finalBits()),
                    String.format(Locale.ROOT, "%.4f", encoder.finalBits() * enc.tokensPerByte()), tflops(encoder, 0));
        h.summary("# Study: initialisation (" + s.spelling() + ")\n\n"
                + String.format(Locale.ROOT, "Model %s (%.2fM parameters), sequences of %d, batch %d, %d steps in all per start (adapted: %d AR + %d "
                        + "diffusion, anneal %d steps), random windows of the first %,d training tokens, seeds %d.%n%n",
                shape.label(), scratch.getFirst().arm().config().parameterCount() / 1e6, arms.seqLen(), arms.batch(), steps, steps / 2,
                steps - steps / 2, Math.max(1, steps / 20), unique, h.seeds().length)
                + t.markdown() + "\n" + (enc.note() == null ? "" : "Encoder arm: " + enc.note() + "\n\n")
                + "Plot: [compute](compute.svg).\n");
    }

    /** The encoder arm: its result and validation tokens per byte, or (result null) why it was skipped. */
    record EncoderOutcome(ArmResult result, double tokensPerByte, String note) {
        static EncoderOutcome skipped(String why) { return new EncoderOutcome(null, Double.NaN, why); }
    }

    /**
     * The encoder arm's peak learning rate: a pretrained encoder is fine-tuned, not trained, and the rates of the
     * study's small shapes wipe out what it knows; 2e-4 is the better of the two measured in docs/encoders.md.
     */
    static final double ENCODER_LR = 2e-4;

    /**
     * Trains the encoder arm when --encoder is given and usable, for the training compute of the other starts
     * ({@code steps} of {@code flopsPerToken}): the encoder, far larger than the study's shape, takes fewer steps.
     */
    private static EncoderOutcome encoderArm(Harness h, CorpusArms arms, double flopsPerToken, long steps, long unique) throws IOException {
        Path dir = h.settings().encoder();
        if (dir == null) return EncoderOutcome.skipped("skipped: no --encoder DIR given (a pretrained BERT-family encoder to start from).");
        WarmStart start;
        StudyData data;
        try {
            start = WarmStart.of(dir);
            if (start.tokenizerOrNull() == null) throw new IOException(dir + " has no tokenizer.json");
            data = StudyData.load(start.tokenizerOrNull());
        } catch (IOException | IllegalArgumentException e) {
            String why = "skipped: --encoder " + dir + " cannot be used (" + e.getMessage() + ")";
            h.log("init: %s", why);
            return EncoderOutcome.skipped(why);
        }
        List<ScoredSequence> valid = data.valid(arms.valWindows(), arms.seqLen());
        double tokensPerByte = (double) valid.size() * arms.seqLen() / data.bytes(valid);
        ArmData d = new ArmData("default (shuffled documents) under " + start.tokenizerOrNull() + ", first " + unique + " tokens",
                data.train(unique), valid, start.tokenizerOrNull());
        long encoderSteps = equalComputeSteps(steps, flopsPerToken, ArmResult.flopsPerToken(start.config(), arms.seqLen()));
        ArmResult r = h.train(new Arm("encoder-s0", start.config(), ObjectiveKind.DIFFUSION, 0, Budget.steps(encoderSteps), ENCODER_LR,
                arms.batch(), arms.seqLen(), Math.max(1, encoderSteps / 10), d, start, 0));
        return new EncoderOutcome(r, tokensPerByte, null);
    }

    /** Steps of a model costing {@code otherFlopsPerToken} that match {@code steps} at {@code flopsPerToken} (at least one). */
    static long equalComputeSteps(long steps, double flopsPerToken, double otherFlopsPerToken) {
        return Math.max(1, Math.round(steps * flopsPerToken / otherFlopsPerToken));
    }

    private static List<LossCurveSvg.Point> bitsPerByte(ArmResult r, double flopsOffset, double tokensPerByte) {
        List<LossCurveSvg.Point> out = new ArrayList<>();
        for (LossCurveSvg.Point p : r.curve()) out.add(new LossCurveSvg.Point((flopsOffset + r.flops(p.step())) / 1e12, p.value() * tokensPerByte));
        return out;
    }

    private static Spread spreadBits(List<ArmResult> g, double factor) {
        return Spread.of(g.stream().mapToDouble(r -> r.finalBits() * factor).toArray());
    }

    private static String tflops(ArmResult r, double offset) {
        return String.format(Locale.ROOT, "%.3f", (offset + r.flops(r.curve().getLast().step())) / 1e12);
    }
}
