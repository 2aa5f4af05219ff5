package org.unmask.model.moe;

import org.unmask.model.tensor.Weights;

import java.lang.foreign.MemorySegment;

/** Whether the {@link org.unmask.compute.Parallel} workers may read a weight (a thread-confined segment they may not). */
final class WorkerAccess {
    private WorkerAccess() {}

    /** A thread that owns nothing: a segment it may read is readable by every pool worker. */
    private static final Thread NON_OWNER = Thread.ofPlatform().unstarted(() -> {});

    /** False for weights in a segment confined to one thread. */
    static boolean readableByWorkers(Weights w) {
        MemorySegment s = switch (w) {
            case Weights.F32 f -> null;
            case Weights.MappedF32 m -> m.segment();
            case Weights.MappedBf16 m -> m.segment();
            case Weights.MappedF16 m -> m.segment();
            case Weights.Quantized q -> q.segment();
        };
        return s == null || s.isAccessibleBy(NON_OWNER);
    }
}
