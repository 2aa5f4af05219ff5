package org.unmask.model;

import org.unmask.model.moe.MoeFeedForward;

/**
 * A {@link MoeFeedForward} as one layer's {@link FeedForward} in the engine (it lives here, not in {@code model.moe},
 * so that the MoE blocks stay below the engine). The mixture keeps its own working
 * memory (per call, sized by the tokens routed to each expert), so the engine's scratch is not used; inference only.
 */
public record RoutedFeedForward(MoeFeedForward moe) implements FeedForward {
    @Override public void forward(float[] out, float[] x, int rows, LayerScratch scratch) {
        moe.forward(out, x, rows);
    }
}
