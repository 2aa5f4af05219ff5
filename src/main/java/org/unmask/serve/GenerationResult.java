package org.unmask.serve;

/**
 * The final generated region ({@code canvas}, {@code genLength} ids; positions still masked when the request was
 * cancelled) and whether it was cancelled before the last step.
 */
public record GenerationResult(int[] canvas, boolean cancelled, int stepsRun) {}
