package org.unmask.diffusion;

/**
 * A negative log-likelihood per token: exact for an autoregressive model, an upper bound (the ELBO) for a masked
 * diffusion model.
 *
 * @param natsPerToken the NLL (or its bound) in nats, averaged over {@code tokens}
 * @param tokens       how many tokens were scored
 * @param bound        whether this is an upper bound (diffusion ELBO) rather than an exact NLL
 */
public record NllEstimate(double natsPerToken, long tokens, boolean bound) {
    /** Bits per token. */
    public double bitsPerToken() { return natsPerToken / Math.log(2); }

    /** Perplexity (an upper bound when {@link #bound()}). */
    public double perplexity() { return Math.exp(natsPerToken); }
}
