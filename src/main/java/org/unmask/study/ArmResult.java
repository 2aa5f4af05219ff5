package org.unmask.study;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.model.ModelFlops;
import org.unmask.views.LossCurveSvg;

import java.util.ArrayList;
import java.util.List;

/**
 * A finished arm: its held-out curve (bits per token after each validated step: the exact NLL for AR, the ELBO for
 * diffusion) and what it cost.
 *
 * @param arm            the arm
 * @param curve          (step, validation bits per token), in step order
 * @param elapsedSeconds training time (from the checkpoint, so a resumed arm counts all of it)
 * @param resumedOrSkipped whether this process found it already (partly) trained
 */
public record ArmResult(Arm arm, List<LossCurveSvg.Point> curve, double elapsedSeconds, boolean resumedOrSkipped) {

    /**
     * Training FLOPs per token: three forward passes' worth (forward and the backward's two products), the forward
     * with the LM head on every position, as in the 6·N·D estimate the papers use.
     */
    public double flopsPerToken() { return flopsPerToken(arm.config(), arm.seqLen()); }

    /** Training FLOPs per token of {@code config} on sequences of {@code seqLen}. */
    public static double flopsPerToken(org.unmask.model.ModelConfig config, int seqLen) {
        return 3 * ModelFlops.forward(config, 1, seqLen, seqLen) / seqLen;
    }

    /** Training tokens after {@code step} steps. */
    public long tokens(double step) { return Math.round(step * arm.tokensPerStep()); }

    /** Epochs over the arm's training tokens after {@code step} steps. */
    public double epochs(double step) { return (double) tokens(step) / arm.data().train().size(); }

    /** Training FLOPs after {@code step} steps. */
    public double flops(double step) { return tokens(step) * flopsPerToken(); }

    /** The last validation figure, bits per token. */
    public double finalBits() { return curve.isEmpty() ? Double.NaN : curve.getLast().value(); }

    /** The lowest validation figure, bits per token. */
    public double bestBits() { return curve.stream().mapToDouble(LossCurveSvg.Point::value).min().orElse(Double.NaN); }

    /** The step of the lowest validation figure. */
    public double bestStep() {
        return curve.stream().min(java.util.Comparator.comparingDouble(LossCurveSvg.Point::value)).map(LossCurveSvg.Point::step).orElse(Double.NaN);
    }

    /** The curve with x = what {@code x} makes of the step (epochs, FLOPs, ...) and y = bits per token plus {@code offset}. */
    public List<LossCurveSvg.Point> curve(java.util.function.DoubleUnaryOperator x) {
        List<LossCurveSvg.Point> out = new ArrayList<>();
        for (LossCurveSvg.Point p : curve) out.add(new LossCurveSvg.Point(x.applyAsDouble(p.step()), p.value()));
        return out;
    }

    /** The result row of results.jsonl: the arm, its figures and its whole curve. */
    public ObjectNode json() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.set("arm", arm.identity());
        n.put("figure", arm.objective() == org.unmask.train.ObjectiveKind.AR ? "exact NLL" : "diffusion ELBO (upper bound)");
        n.put("final_bits_per_token", finalBits());
        n.put("best_bits_per_token", bestBits());
        n.put("best_step", bestStep());
        n.put("flops_per_token", flopsPerToken());
        n.put("elapsed_s", elapsedSeconds);
        ArrayNode c = n.putArray("curve");
        for (LossCurveSvg.Point p : curve) {
            ObjectNode q = c.addObject();
            q.put("step", (long) p.step());
            q.put("tokens", tokens(p.step()));
            q.put("epochs", epochs(p.step()));
            q.put("flops", flops(p.step()));
            q.put("val_bits_per_token", p.value());
        }
        return n;
    }
}
