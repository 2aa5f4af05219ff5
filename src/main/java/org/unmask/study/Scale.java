package org.unmask.study;

/** How big a study runs: quick (the test suite's form, seconds per arm), medium (minutes per arm), full (hours in all). */
public enum Scale {
    QUICK, MEDIUM, FULL;

    /** The value for this scale. */
    public <T> T pick(T quick, T medium, T full) {
        return switch (this) {
            case QUICK -> quick;
            case MEDIUM -> medium;
            case FULL -> full;
        };
    }

    /** The int for this scale. */
    public int pick(int quick, int medium, int full) {
        return this == QUICK ? quick : this == MEDIUM ? medium : full;
    }

    /** The spelling in summaries and results. */
    public String spelling() { return name().toLowerCase(java.util.Locale.ROOT); }
}
