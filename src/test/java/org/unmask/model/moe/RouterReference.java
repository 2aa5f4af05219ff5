package org.unmask.model.moe;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The two routers written straight from their equations in double precision, with sorts instead of the
 * incremental top-k under test. Ties rank the lower index first.
 */
final class RouterReference {
    private RouterReference() {}

    /** One token's choice: experts in rank order and their weights. */
    record Choice(int[] experts, double[] weights) {}

    /** Indices ordered by value descending, ties by index ascending. */
    private static List<Integer> ranked(List<Integer> candidates, double[] value) {
        List<Integer> r = new ArrayList<>(candidates);
        r.sort(Comparator.<Integer>comparingDouble(i -> -value[i]).thenComparingInt(i -> i));
        return r;
    }

    /** LLaDA 2.x: sigmoid, bias for selection only, group-limited top-k, normalised unbiased scores × scale. */
    static Choice sigmoid(double[] logits, double[] bias, SigmoidRouterConfig c) {
        int E = c.experts(), per = E / c.groups();
        double[] s = new double[E], b = new double[E];
        for (int e = 0; e < E; e++) {
            s[e] = 1 / (1 + Math.exp(-logits[e]));
            b[e] = s[e] + (bias == null ? 0 : bias[e]);
        }
        double[] groupScore = new double[c.groups()];
        List<Integer> groups = new ArrayList<>();
        for (int g = 0; g < c.groups(); g++) {
            List<Integer> members = new ArrayList<>();
            for (int e = g * per; e < (g + 1) * per; e++) members.add(e);
            List<Integer> best = ranked(members, b);
            groupScore[g] = c.groups() == 1 ? 0 : b[best.get(0)] + b[best.get(1)];
            groups.add(g);
        }
        List<Integer> kept = ranked(groups, groupScore).subList(0, c.topKGroups());
        List<Integer> candidates = new ArrayList<>();
        for (int e = 0; e < E; e++) if (kept.contains(e / per)) candidates.add(e);
        List<Integer> chosen = ranked(candidates, b).subList(0, c.topK());
        double sum = 0;
        for (int e : chosen) sum += s[e];
        int[] experts = new int[c.topK()];
        double[] weights = new double[c.topK()];
        for (int j = 0; j < c.topK(); j++) {
            experts[j] = chosen.get(j);
            double w = c.normTopKProb() && c.topK() > 1 ? s[experts[j]] / sum : s[experts[j]];
            weights[j] = w * c.scalingFactor();
        }
        return new Choice(experts, weights);
    }

    /** LLaDA-MoE: softmax, plus bias (which also becomes the weight), top-k, optional renormalisation. */
    static Choice softmax(double[] logits, double[] bias, SoftmaxRouterConfig c) {
        int E = c.experts();
        double max = Double.NEGATIVE_INFINITY, total = 0;
        for (double l : logits) max = Math.max(max, l);
        double[] q = new double[E];
        for (int e = 0; e < E; e++) total += Math.exp(logits[e] - max);
        List<Integer> all = new ArrayList<>();
        for (int e = 0; e < E; e++) {
            q[e] = Math.exp(logits[e] - max) / total + (bias == null ? 0 : bias[e]);
            all.add(e);
        }
        List<Integer> chosen = ranked(all, q).subList(0, c.topK());
        double sum = 0;
        for (int e : chosen) sum += q[e];
        int[] experts = new int[c.topK()];
        double[] weights = new double[c.topK()];
        for (int j = 0; j < c.topK(); j++) {
            experts[j] = chosen.get(j);
            weights[j] = c.normTopKProb() ? q[experts[j]] / sum : q[experts[j]];
        }
        return new Choice(experts, weights);
    }
}
