package org.unmask.serve;

import java.util.ArrayList;
import java.util.List;

/**
 * What the server, the chat and the web page need from a masked diffusion model: the LLaDA reverse process over
 * token ids with per-step callbacks and cancellation, optionally for several requests at once.
 */
public interface GenerationEngine {

    /** The model name reported by {@code /v1/models}. */
    String modelId();

    /** Text and special ids of the model's vocabulary. */
    Vocabulary vocabulary();

    /** Largest {@code genLength} accepted. */
    int maxGenLength();

    /** Largest prompt + generation length the model can attend over. */
    int maxSequenceLength();

    /**
     * Largest number of requests {@link #generateBatch} runs as one batched reverse process; 1 means the engine has
     * no batching and a batch is generated one request after another.
     */
    default int maxBatchSize() { return 1; }

    /** Runs the reverse process for one request; calls {@code onStep} after every step and checks {@code c} before each. */
    GenerationResult generate(GenerationRequest r, StepListener onStep, CancellationToken c);

    /**
     * Runs requests of one {@link GenerationRequest#shape()} together, results in the order of {@code jobs}. A
     * cancelled request leaves the batch while the others go on. This default runs them one after another.
     */
    default List<GenerationResult> generateBatch(List<GenerationJob> jobs) {
        List<GenerationResult> out = new ArrayList<>(jobs.size());
        for (GenerationJob j : jobs) out.add(generate(j.request(), j.listener(), j.token()));
        return out;
    }
}
