package org.unmask.diffusion;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which keys and values a generation run keeps between steps (Fast-dLLM's caches; {@link CachedStepModel}). Under
 * block-causal attention (LLaDA 2.x) both caches are the exact block cache: finished blocks never change.
 */
public enum CacheMode {
    /** Every step is a full forward over the canvas. */
    NONE("none"),
    /** Each block starts with a full forward; its steps run the block and the positions after it over the cached prefix. */
    PREFIX("prefix"),
    /** Each block starts with a full forward; its steps run the block alone over the cached prefix and suffix. */
    DUAL("dual");

    private final String cliName;

    CacheMode(String cliName) { this.cliName = cliName; }

    /** The spelling of the command line and the HTTP API. */
    public String cliName() { return cliName; }

    /** Parses {@code none}, {@code prefix} or {@code dual}. */
    public static CacheMode parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT);
        for (CacheMode m : values()) if (m.cliName.equals(k)) return m;
        throw new InvalidSettingException(Setting.CACHE, "unknown {cache} '" + s + "'; expected one of "
                + Arrays.stream(values()).map(CacheMode::cliName).collect(Collectors.joining(", ")));
    }
}
