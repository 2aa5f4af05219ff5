package org.unmask.serve;

import java.util.Locale;

/** Which still-masked predictions are committed at a step (LLaDA §1.2): the most confident ones or random ones. */
public enum Remasking {
    LOW_CONFIDENCE("low_confidence"),
    RANDOM("random");

    private final String wireName;

    Remasking(String wireName) { this.wireName = wireName; }

    /** The name used in requests and by LLaDA's generate.py. */
    public String wireName() { return wireName; }

    /** Parses a wire name; returns null when it is not one. */
    public static Remasking parse(String s) {
        for (Remasking r : values()) if (r.wireName.equals(s.toLowerCase(Locale.ROOT))) return r;
        return null;
    }
}
