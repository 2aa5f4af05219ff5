package org.unmask.diffusion;

import org.unmask.model.ModelConfig;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The per-row state of one generation run: the left-padded canvases (laid out by {@link CanvasLayout}), which
 * positions started as masks, the confidence each revealed token had (ψ, for ReMDM), which rows are settled by early
 * stop, and each row's random stream (row b uses seed + b, so a row of a batch matches its single-prompt run).
 */
final class RunState {
    private final int batch, seqLen, mask;
    private final int[] x, pad, promptLen, promptEnd, outputEnd;
    private final List<Block> blocks;
    private final boolean[] attend, generated, settled;
    private final double[] psi;
    private final SplittableRandom[] rng;

    /** The canvases for {@code prompts}: prompt, then {@code cfg.genLength()} masks; rejects what cannot run. */
    RunState(List<int[]> prompts, SamplerConfig cfg, ModelConfig model) {
        int vocab = model.embeddingSize();
        mask = cfg.maskId();
        batch = prompts.size();
        promptLen = new int[batch];
        for (int b = 0; b < batch; b++) promptLen[b] = prompts.get(b).length;
        CanvasLayout layout = CanvasLayout.of(promptLen, cfg);
        seqLen = layout.seqLen();
        pad = layout.pad();
        promptEnd = layout.promptEnd();
        outputEnd = layout.outputEnd();
        blocks = layout.blocks();
        int limit = model.maxSequenceLength();
        Sampler.check(seqLen <= limit, (cfg.blockCausal() ? "prompt + gen length padded to whole blocks" : "prompt ("
                + Arrays.stream(promptLen).max().orElse(0) + ") + gen length (" + cfg.genLength() + ")") + " = " + seqLen
                + " exceeds the model's max_sequence_length " + limit);
        Sampler.check(seqLen > 0, "empty canvas: no prompt and --gen-length 0");
        x = new int[batch * seqLen];
        generated = new boolean[batch * seqLen];
        settled = new boolean[batch];
        psi = new double[batch * seqLen];
        rng = new SplittableRandom[batch];
        boolean anyPad = false;
        for (int b = 0; b < batch; b++) {
            int[] p = prompts.get(b);
            anyPad |= pad[b] > 0;
            int base = b * seqLen;
            Arrays.fill(x, base, base + pad[b], model.padTokenId());
            for (int i = 0; i < p.length; i++) {
                Sampler.check(p[i] >= 0 && p[i] < vocab, "prompt " + b + " token " + i + " = " + p[i]
                        + " is outside the vocabulary (0.." + (vocab - 1) + ")");
                // a block-causal run decodes only the blocks from the prompt's end on, so a mask before it would stay
                Sampler.check(!cfg.blockCausal() || p[i] != mask, "prompt " + b + " token " + i
                        + " is the mask id: block-causal generation does not fill masks inside the prompt");
                x[base + pad[b] + i] = p[i];
            }
            Arrays.fill(x, base + promptEnd[b], base + seqLen, mask);
            for (int t = 0; t < seqLen; t++) generated[base + t] = x[base + t] == mask;
            rng[b] = new SplittableRandom(cfg.seed() + b);
        }
        if (cfg.genLength() == 0) {
            boolean any = false;
            for (boolean g : generated) any |= g;
            Sampler.check(any, "--gen-length is 0 and the prompt contains no masks: nothing to generate");
        }
        if (anyPad) {
            attend = new boolean[batch * seqLen];
            for (int b = 0; b < batch; b++)
                for (int t = pad[b]; t < seqLen; t++) attend[b * seqLen + t] = true;
        } else {
            attend = null;
        }
    }

    int batch() { return batch; }
    int seqLen() { return seqLen; }
    /** End of row b's (left-padded) prompt: where its generated region starts. */
    int promptEnd(int b) { return promptEnd[b]; }
    /** Where each row's prompt ends. */
    int[] promptEnds() { return promptEnd.clone(); }
    /** The blocks the run decodes, in order. */
    List<Block> blocks() { return blocks; }
    boolean padded() { return attend != null; }
    int maskId() { return mask; }

    /** The token at canvas position t of row b. */
    int token(int b, int t) { return x[b * seqLen + t]; }

    /** Masked positions before {@code end} in row b (a step's candidates), ascending. */
    int[] candidates(int b, int end) {
        int[] c = new int[masks(b, end)];
        int n = 0, base = b * seqLen;
        for (int t = 0; t < end; t++) if (x[base + t] == mask) c[n++] = t;
        return c;
    }

    /** Number of masked positions before {@code end} in row b. */
    int masks(int b, int end) {
        int base = b * seqLen, n = 0;
        for (int t = 0; t < end; t++) if (x[base + t] == mask) n++;
        return n;
    }

    /** Whether some row not settled by early stop still has masks before {@code end}. */
    boolean anyUnsettledMasks(int end) {
        for (int b = 0; b < batch; b++) if (!settled[b] && masks(b, end) > 0) return true;
        return false;
    }

    /** Positions of {@code block} in row b that started as masks and are revealed now, ascending. */
    int[] revealed(int b, Block block) {
        int base = b * seqLen, n = 0;
        for (int t = block.start(); t < block.end(); t++) if (generated[base + t] && x[base + t] != mask) n++;
        int[] r = new int[n];
        n = 0;
        for (int t = block.start(); t < block.end(); t++) if (generated[base + t] && x[base + t] != mask) r[n++] = t;
        return r;
    }

    /** ψ at position t of row b: the confidence its token had when revealed (1 when it was not ranked). */
    double confidence(int b, int t) { return psi[b * seqLen + t]; }

    /** Writes a step's commit into row b. */
    void commit(int b, Commit c) {
        int base = b * seqLen;
        for (int i = 0; i < c.size(); i++) {
            x[base + c.positions()[i]] = c.tokens()[i];
            psi[base + c.positions()[i]] = Double.isNaN(c.confidences()[i]) ? 1 : c.confidences()[i];
        }
    }

    /** Turns positions of row b back into masks. */
    void remask(int b, int[] positions) {
        for (int t : positions) { x[b * seqLen + t] = mask; psi[b * seqLen + t] = 0; }
    }

    /** Writes {@code token} at position t of row b as a certain fill (early stop). */
    void fill(int b, int t, int token) { x[b * seqLen + t] = token; psi[b * seqLen + t] = 1; }

    boolean settled(int b) { return settled[b]; }
    void settle(int b) { settled[b] = true; }

    /** Row b's random stream. */
    SplittableRandom random(int b) { return rng[b]; }

    /** Copies row b's padded canvas (and its key-padding mask, when there is one) to row j of a forward batch. */
    void copyRow(int b, int[] ids, boolean[] att, int j) {
        System.arraycopy(x, b * seqLen, ids, j * seqLen, seqLen);
        if (att != null) System.arraycopy(attend, b * seqLen, att, j * seqLen, seqLen);
    }

    /** Row b's canvas without its padding (and without block-alignment masks after it): prompt, then generated tokens. */
    int[] unpadded(int b) { return Arrays.copyOfRange(x, b * seqLen + pad[b], b * seqLen + outputEnd[b]); }

    /** Where row b's output ends: the block-alignment positions after it are decoded but not part of the result. */
    int outputEnd(int b) { return outputEnd[b]; }

    /** Canvas positions of row b as positions in its unpadded canvas. */
    int[] local(int b, int[] positions) {
        int[] l = new int[positions.length];
        for (int i = 0; i < positions.length; i++) l[i] = positions[i] - pad[b];
        return l;
    }

    int[] promptLengths() { return promptLen.clone(); }
}
