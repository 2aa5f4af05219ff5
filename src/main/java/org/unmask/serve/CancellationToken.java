package org.unmask.serve;

/** Cooperative cancellation: the engine checks it before every step and stops that request when set. */
public final class CancellationToken {
    private volatile boolean cancelled;

    /** Asks the engine to stop this request at its next step. */
    public void cancel() { cancelled = true; }

    /** Whether {@link #cancel()} was called. */
    public boolean isCancelled() { return cancelled; }
}
