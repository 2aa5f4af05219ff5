package org.unmask.diffusion;

/**
 * The token rows one forward pass runs over: {@code batch} left-padded canvases of {@code seqLen} tokens, row-major,
 * and the key-padding mask {@code attend} ({@code batch*seqLen}, false on padding keys; null when no row is padded).
 * The sampler may reuse the arrays after the call, so a model that keeps them must copy them.
 *
 * @param ids    the token ids
 * @param batch  number of rows
 * @param seqLen tokens per row
 * @param attend which keys may be attended to, or null when all may
 */
public record Canvas(int[] ids, int batch, int seqLen, boolean[] attend) {}
