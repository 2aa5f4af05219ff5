package org.unmask.diffusion;

/**
 * A semi-autoregressive block of the canvas: positions {@code [start, end)}, in padded canvas coordinates (the
 * whole canvas for pure infilling).
 *
 * @param index 0-based block number
 * @param start first position of the block
 * @param end   one past its last position; masks before it are the step's candidates
 */
public record Block(int index, int start, int end) {}
