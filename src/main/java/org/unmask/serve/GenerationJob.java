package org.unmask.serve;

/** A request together with where its steps go and the token that can stop it. */
public record GenerationJob(GenerationRequest request, StepListener listener, CancellationToken token) {
    public GenerationJob {
        if (request == null) throw new IllegalArgumentException("request is null");
        if (listener == null) listener = StepListener.NONE;
        if (token == null) token = new CancellationToken();
    }
}
