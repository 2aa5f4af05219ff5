package org.unmask.serve;

/**
 * What the streams, the chat and the web page show of one request's denoising step, derived from the sampler's
 * event by {@link Vocabulary#answerStep}. {@code generated} is the generated region only (masked positions hold the
 * mask id); {@code revealed} are the positions (0-based in that region) committed at this step, early-stop EOS
 * fills included; {@code text} is the decoded settled prefix (the leading run of committed tokens, cut at the end
 * of the answer); {@code ended} says the settled prefix already holds an end-of-answer token.
 */
public record AnswerStep(int step, int[] generated, int[] revealed, String text, boolean ended) {}
