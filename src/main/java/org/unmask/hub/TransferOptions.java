package org.unmask.hub;

import java.time.Duration;

/**
 * How downloads behave on the wire.
 *
 * @param workers        files downloaded at the same time
 * @param retries        attempts after a dropped connection, a stall or a 5xx/429 answer; an attempt that moved the
 *                       download forward does not count
 * @param retryDelay     wait before the first retry, doubled for each further one (at most 30 s)
 * @param connectTimeout for opening a connection
 * @param answerTimeout  for the status line and headers of an answer
 * @param stallTimeout   a body that sends nothing for this long is dropped and resumed
 */
public record TransferOptions(int workers, int retries, Duration retryDelay, Duration connectTimeout,
                              Duration answerTimeout, Duration stallTimeout) {
    /** Eight files at a time (huggingface_hub's default), five retries. */
    public static final TransferOptions DEFAULT = new TransferOptions(8, 5, Duration.ofSeconds(1),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60));

    public TransferOptions {
        if (workers < 1) throw new IllegalArgumentException("--workers must be at least 1, got " + workers);
        if (retries < 0) throw new IllegalArgumentException("retries must be >= 0, got " + retries);
    }

    /** The same options with {@code n} parallel downloads. */
    public TransferOptions withWorkers(int n) {
        return new TransferOptions(n, retries, retryDelay, connectTimeout, answerTimeout, stallTimeout);
    }

    /** The wait before retry number {@code attempt} (1-based). */
    Duration delayBefore(int attempt) {
        long millis = retryDelay.toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, 30_000));
    }
}
