package org.unmask.serve;

import org.unmask.diffusion.StepListener;
import org.unmask.model.GenerationDefaults;
import org.unmask.text.ChatTemplate;

import java.util.ArrayList;
import java.util.List;

/**
 * What the server, the chat and the web page need from a masked diffusion model: the reverse process over token ids
 * with per-step callbacks and cancellation, optionally for several requests at once. A request's listener receives
 * the sampler's {@link org.unmask.diffusion.StepEvent}s holding only that request's row, numbered 0 (its canvas is
 * the prompt followed by the generated region); {@link Vocabulary#answerStep} derives what is shown from them.
 */
public interface GenerationEngine {

    /** The model name reported by {@code /v1/models}. */
    String modelId();

    /** Text and special ids of the model's vocabulary. */
    Vocabulary vocabulary();

    /** The sampler settings a request gets for the fields it leaves out (its model family's). */
    default GenerationDefaults generationDefaults() { return GenerationDefaults.LLADA; }

    /** How a conversation becomes a prompt: the model's own chat template, else its family's format. */
    default ChatTemplate chatTemplate() { return ChatTemplate.llada(); }

    /** Largest {@code genLength} accepted. */
    int maxGenLength();

    /** Largest prompt + generation length the model can attend over. */
    int maxSequenceLength();

    /**
     * Largest number of requests {@link #generateBatch} runs as one batched reverse process; 1 means the engine has
     * no batching and a batch is generated one request after another.
     */
    default int maxBatchSize() { return 1; }

    /** Runs the reverse process for one request; calls {@code onStep} after every step and stops once {@code c} is cancelled. */
    GenerationResult generate(GenerationRequest r, StepListener onStep, CancellationToken c);

    /**
     * Runs requests together, results in the order of {@code jobs}; the queue hands over only requests that
     * {@link GenerationRequest#batchesWith batch with} each other. A cancelled request leaves the batch while the
     * others go on. This default runs them one after another.
     */
    default List<GenerationResult> generateBatch(List<GenerationJob> jobs) {
        List<GenerationResult> out = new ArrayList<>(jobs.size());
        for (GenerationJob j : jobs) out.add(generate(j.request(), j.listener(), j.token()));
        return out;
    }
}
