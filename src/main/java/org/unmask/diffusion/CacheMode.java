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
    DUAL("dual"),
    /**
     * As dual, but a block's later steps run only the positions whose logits are asked for (the masked ones) and those
     * whose token changed since the previous step: a committed token's keys and values are computed once more, in the
     * step after its commit, and then kept (dKV-Cache's delayed caching of decoded tokens).
     */
    DELAYED("delayed");

    private final String cliName;

    CacheMode(String cliName) { this.cliName = cliName; }

    /** The spelling of the command line and the HTTP API. */
    public String cliName() { return cliName; }

    /** Parses {@code none}, {@code prefix}, {@code dual} or {@code delayed}. */
    public static CacheMode parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT);
        for (CacheMode m : values()) if (m.cliName.equals(k)) return m;
        throw new InvalidSettingException(Setting.CACHE, "unknown {cache} '" + s + "'; expected one of "
                + Arrays.stream(values()).map(CacheMode::cliName).collect(Collectors.joining(", ")));
    }
}
