package org.unmask.serve;

/**
 * The canvas after one denoising step. {@code canvas} is the generated region only ({@code genLength} ids, masked
 * positions hold the mask id); {@code revealed} are the positions (0-based in that region) committed at this step;
 * {@code text} is the decoded settled prefix (the leading run of committed tokens, cut at the end of the answer);
 * {@code ended} says the settled prefix already holds an end-of-answer token.
 */
public record StepEvent(int step, int steps, int[] canvas, int[] revealed, String text, boolean ended) {}
