package org.unmask.diffusion;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each row of a run sits in the padded canvas and which blocks are decoded. LLaDA's layout: every prompt is
 * left-padded to the longest, the {@code genLength} masks follow, and the blocks are cut from the end of the prompts.
 * LLaDA 2.x's block-aligned layout: each row is its prompt and {@code genLength} masks, padded with further masks to
 * a multiple of the block length, so that its blocks are aligned at its own position 0 (its last prompt block may
 * already hold masks); rows are left-padded to the longest by whole blocks, so the pattern's blocks, aligned at
 * position 0 of the padded canvas, are every row's own blocks. The blocks decoded are those holding a mask of some row.
 *
 * @param seqLen    padded length of every row
 * @param pad       left padding of each row
 * @param promptEnd where each row's prompt ends (padding included), i.e. where its masks start
 * @param outputEnd where each row's output ends: its prompt and {@code genLength} positions (the alignment masks after
 *                  it are decoded with their block but are not part of the result)
 * @param blocks    the blocks to decode, in order
 */
record CanvasLayout(int seqLen, int[] pad, int[] promptEnd, int[] outputEnd, List<Block> blocks) {

    /** The layout of prompts of {@code promptLengths} under {@code cfg}. */
    static CanvasLayout of(int[] promptLengths, SamplerConfig cfg) {
        return cfg.blockCausal() ? aligned(promptLengths, cfg.genLength(), cfg.blockLength())
                : leftPadded(promptLengths, cfg.genLength(), cfg.blockLength(), cfg.blocks());
    }

    private static CanvasLayout leftPadded(int[] promptLengths, int genLength, int blockLength, int blockCount) {
        int n = promptLengths.length, maxP = 0;
        for (int p : promptLengths) maxP = Math.max(maxP, p);
        int seqLen = maxP + genLength;
        int[] pad = new int[n], end = new int[n], out = new int[n];
        for (int b = 0; b < n; b++) {
            pad[b] = maxP - promptLengths[b];
            end[b] = maxP;
            out[b] = seqLen;
        }
        List<Block> blocks = new ArrayList<>();
        if (genLength == 0) blocks.add(new Block(0, 0, seqLen));   // pure infilling: the whole canvas is one block
        else for (int k = 0; k < blockCount; k++) blocks.add(new Block(k, maxP + k * blockLength, maxP + (k + 1) * blockLength));
        return new CanvasLayout(seqLen, pad, end, out, List.copyOf(blocks));
    }

    private static CanvasLayout aligned(int[] promptLengths, int genLength, int blockLength) {
        int n = promptLengths.length, seqLen = 0;
        int[] own = new int[n];
        for (int b = 0; b < n; b++) {
            own[b] = Math.ceilDiv(promptLengths[b] + genLength, blockLength) * blockLength;
            seqLen = Math.max(seqLen, own[b]);
        }
        int[] pad = new int[n], end = new int[n], out = new int[n];
        int first = seqLen / blockLength;
        for (int b = 0; b < n; b++) {
            pad[b] = seqLen - own[b];
            end[b] = pad[b] + promptLengths[b];
            out[b] = end[b] + genLength;
            first = Math.min(first, end[b] / blockLength);
        }
        List<Block> blocks = new ArrayList<>();
        for (int k = first; k < seqLen / blockLength; k++) blocks.add(new Block(k - first, k * blockLength, (k + 1) * blockLength));
        return new CanvasLayout(seqLen, pad, end, out, List.copyOf(blocks));
    }
}
