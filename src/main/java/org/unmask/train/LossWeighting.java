package org.unmask.train;

import java.util.Locale;

/**
 * How a diffusion objective weights the cross-entropy of each masked token: LLaDA's ELBO weight 1/(t·L·B), whose
 * expectation bounds the NLL, or one weight for every masked token of the batch, a plain mean like BERT's masked-LM
 * loss (lower variance, no longer a bound: against the ELBO it underweights the tokens of lightly masked sequences).
 */
public enum LossWeighting {
    /** 1/(t·L·B) per masked token (LLaDA). */
    ELBO,
    /** 1/(masked tokens in the batch) per masked token. */
    MEAN;

    /** The name on the command line and in {@code trainer_state.json}. */
    public String cliName() { return name().toLowerCase(Locale.ROOT); }

    /** The weighting named {@code s}, or an error listing the names. */
    public static LossWeighting parse(String s) {
        for (LossWeighting w : values()) if (w.cliName().equals(s)) return w;
        throw new IllegalArgumentException("unknown loss weighting '" + s + "' (known: elbo, mean)");
    }
}
