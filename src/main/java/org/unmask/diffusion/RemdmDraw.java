package org.unmask.diffusion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ReMDM's draw of which tokens revealed earlier in a block go back to masks: each with probability σ_t from the
 * schedule ({@code cap}, {@code rescale}), or for {@code conf} that mean rate spread over the revealed tokens by
 * softmax(−ψ), so the less confident ones go first.
 */
final class RemdmDraw {
    private final RemdmConfig remdm;
    private final Block block;
    private final RunState state;

    RemdmDraw(RemdmConfig remdm, Block block, RunState state) {
        this.remdm = remdm;
        this.block = block;
        this.state = state;
    }

    /** The positions of row b to re-mask given σ_max, at most {@code limit} of them, ascending. */
    int[] choose(int b, double sigmaMax, int limit) {
        int[] revealed = state.revealed(b, block);
        int d = revealed.length;
        if (d == 0 || limit <= 0) return CommitRule.NONE;
        double sigma = remdm.sigma(sigmaMax);
        double[] prob = new double[d];
        if (remdm.schedule() == RemdmConfig.Schedule.CONF) {
            double m = Double.NEGATIVE_INFINITY, sum = 0;
            for (int t : revealed) m = Math.max(m, -state.confidence(b, t));
            for (int t : revealed) sum += Math.exp(-state.confidence(b, t) - m);
            for (int i = 0; i < d; i++)
                prob[i] = Math.min(1, sigma * d * Math.exp(-state.confidence(b, revealed[i]) - m) / sum);
        } else {
            Arrays.fill(prob, sigma);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < d; i++) if (state.random(b).nextDouble() < prob[i]) out.add(revealed[i]);
        if (out.size() > limit) {
            // Keep the quota feasible: re-mask only the least confident of those drawn.
            out.sort((p, q) -> Double.compare(state.confidence(b, p), state.confidence(b, q)));
            out = out.subList(0, limit);
        }
        return out.stream().mapToInt(Integer::intValue).sorted().toArray();
    }
}
