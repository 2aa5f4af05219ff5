package org.unmask.serve;

import org.unmask.diffusion.StepListener;

/** A request together with where its steps go and the token that can stop it. */
public record GenerationJob(GenerationRequest request, StepListener listener, CancellationToken token) {
    /** Fills in a listener that ignores the steps and a fresh token when they are null. */
    public GenerationJob {
        if (request == null) throw new IllegalArgumentException("request is null");
        if (listener == null) listener = e -> { };
        if (token == null) token = new CancellationToken();
    }
}
