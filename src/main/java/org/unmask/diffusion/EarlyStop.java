package org.unmask.diffusion;

/**
 * The early-stop rule (as in dInfer and Fast-dLLM): a row is settled when its generated region holds a committed EOS
 * with everything before it revealed and everything revealed after it EOS. Its remaining masks are then filled with
 * EOS and the row costs no more forward passes.
 */
final class EarlyStop {
    private static final int[] NONE = new int[0];
    private final RunState state;
    private final int eos;
    private final boolean infilling;

    EarlyStop(RunState state, SamplerConfig cfg) {
        this.state = state;
        this.eos = cfg.eosId();
        this.infilling = cfg.genLength() == 0;
    }

    /** Settles row b if it can be, returning the canvas positions filled with EOS. */
    int[] settle(int b) {
        // pure infilling has no generated region after the prompt to stop in
        if (state.settled(b) || infilling) return NONE;
        int firstMask = -1, eosAt = -1;
        // only the output decides (block-alignment masks after it are decoded but dropped); the fill reaches them too
        for (int t = state.promptEnd(b); t < state.outputEnd(b); t++) {
            int v = state.token(b, t);
            if (isMask(v)) { if (firstMask < 0) firstMask = t; continue; }
            if (v == eos) { if (eosAt < 0 && firstMask < 0) eosAt = t; }
            else if (eosAt >= 0) return NONE;   // a non-EOS token after the EOS: not settled
        }
        if (firstMask < 0) { state.settle(b); return NONE; }
        if (eosAt < 0) return NONE;
        int n = 0;
        for (int t = eosAt + 1; t < state.seqLen(); t++) if (isMask(state.token(b, t))) n++;
        int[] filled = new int[n];
        n = 0;
        for (int t = eosAt + 1; t < state.seqLen(); t++) {
            if (!isMask(state.token(b, t))) continue;
            state.fill(b, t, eos);
            filled[n++] = t;
        }
        state.settle(b);
        return filled;
    }

    private boolean isMask(int token) { return token == state.maskId(); }
}
