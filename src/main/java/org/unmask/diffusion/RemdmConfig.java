package org.unmask.diffusion;

import java.util.Locale;

/**
 * ReMDM re-masking of already revealed tokens (Wang et al., arXiv 2503.00307), adapted to LLaDA's block schedule.
 * Within a block, step i goes from α_t to α_s (fractions of the block revealed, from the block's quota) and
 * σ_max = min(1, (1 − α_s)/α_t). Each token revealed earlier in the block is re-masked with probability σ_t:
 * {@code cap}: min(eta, σ_max); {@code rescale}: eta·σ_max; {@code conf}: the cap value spread over the revealed
 * tokens by softmax(−ψ), ψ the probability each had when revealed (capped at 1 per token). The step then reveals
 * its quota plus the number re-masked, so the block still ends with no masks. Re-masking is active only in the last
 * {@code window} fraction of each block's steps (ReMDM's "switch" variant; window 1 = every step).
 * <p>With {@code loop}, the block is instead fully revealed in the steps before the window, and each step in the
 * window first re-masks revealed tokens (σ_max taken as 1, so cap and rescale both give eta) and then re-predicts
 * exactly those positions: α is held at 1 while the model revisits its least certain choices (ReMDM's "loop").
 */
public record RemdmConfig(Schedule schedule, double eta, double window, boolean loop) {

    /** eta when a schedule is named without one. */
    public static final double DEFAULT_ETA = 0.02;
    /** window when a schedule is named without one (every step of a block). */
    public static final double DEFAULT_WINDOW = 1;

    /**
     * The ReMDM settings as an edge receives them: null when no schedule is named (then naming eta, window or loop is
     * an error), else the schedule with its defaults filled in.
     */
    public static RemdmConfig of(Schedule schedule, Double eta, Double window, boolean loop) {
        if (schedule == null) {
            Setting stray = eta != null ? Setting.REMDM_ETA : window != null ? Setting.REMDM_WINDOW : loop ? Setting.REMDM_LOOP : null;
            if (stray != null) throw new InvalidSettingException(stray, "{" + stray.key()
                    + "} applies to ReMDM re-masking; set {remdm} to cap, rescale or conf");
            return null;
        }
        return new RemdmConfig(schedule, eta != null ? eta : DEFAULT_ETA, window != null ? window : DEFAULT_WINDOW, loop);
    }

    /** The switch variant. */
    public RemdmConfig(Schedule schedule, double eta, double window) { this(schedule, eta, window, false); }

    /** How σ_t is derived from σ_max. */
    public enum Schedule { CAP, RESCALE, CONF;
        /** Parses {@code cap}, {@code rescale} or {@code conf}. */
        public static Schedule parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException(Setting.REMDM, "unknown {remdm} schedule '" + s + "'; expected cap, rescale or conf");
            }
        }
    }

    /** Validates eta and window. */
    public RemdmConfig {
        if (schedule == null) throw new InvalidSettingException(Setting.REMDM, "{remdm} schedule is required");
        if (!(eta > 0 && eta <= 1)) throw new InvalidSettingException(Setting.REMDM_ETA, "{remdm_eta} must be in (0, 1], got " + eta);
        if (!(window > 0 && window <= 1)) throw new InvalidSettingException(Setting.REMDM_WINDOW, "{remdm_window} must be in (0, 1], got " + window);
    }

    /** First step (0-based, within a block of {@code stepsPerBlock}) at which re-masking is active. */
    public int firstActiveStep(int stepsPerBlock) {
        return stepsPerBlock - (int) Math.ceil(window * stepsPerBlock);
    }

    /** Steps of a block's window (the last ⌈window·stepsPerBlock⌉). */
    public int windowSteps(int stepsPerBlock) { return stepsPerBlock - firstActiveStep(stepsPerBlock); }

    /** σ_t for one step given σ_max; for {@code conf} this is the mean rate that is then spread by confidence. */
    public double sigma(double sigmaMax) {
        return schedule == Schedule.RESCALE ? eta * sigmaMax : Math.min(eta, sigmaMax);
    }
}
