package org.unmask.serve;

/** A validated API request: which endpoint, the model asked for, the generation, and whether to stream. */
public record ParsedRequest(Endpoint endpoint, String model, GenerationRequest generation, boolean stream,
                            boolean includeUsage) {

    /** The generation endpoints. */
    public enum Endpoint { COMPLETIONS, CHAT, UNMASK }
}
