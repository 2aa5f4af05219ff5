package org.unmask.hub;

import java.io.IOException;

/** A failure to report to the user as it is: the message names the repository, revision, file and HTTP status. */
public class HubException extends IOException {
    private final boolean retryable;

    /** A final failure. */
    public HubException(String message) { this(message, false, null); }

    HubException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    /** A failure that another attempt may not see (a dropped connection, a stall, a 5xx or 429 answer). */
    static HubException transientFailure(String message, Throwable cause) { return new HubException(message, true, cause); }

    /** Whether trying again may succeed. */
    boolean retryable() { return retryable; }
}
