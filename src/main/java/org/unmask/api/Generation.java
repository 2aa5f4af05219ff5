package org.unmask.api;

import java.time.Duration;

/**
 * The outcome of one generation.
 *
 * @param text          the generated part decoded (for infilling: the whole canvas), empty without a tokenizer
 * @param tokens        the generated token ids (for infilling: the whole canvas)
 * @param canvas        the prompt ids followed by the generated ids
 * @param forwardPasses forward passes of the model spent on this generation's batch
 * @param steps         denoising steps taken
 * @param elapsed       wall time of the generation's batch
 * @param cacheBytes    memory the batch's KV cache held at the end (0 without one)
 */
public record Generation(String text, int[] tokens, int[] canvas, int forwardPasses, int steps, Duration elapsed, long cacheBytes) {}
