package org.unmask.model;

/**
 * How a family's models generate unless the user says otherwise: the remasking algorithm and its token sampler
 * settings. Steps default to one per generated token for every family.
 *
 * @param remasking   the remasking algorithm, as {@code --remasking} spells it
 * @param temperature sampling temperature (0 = argmax)
 * @param topP        nucleus filter of Dream's algorithms (1 = off; only applied with a Dream algorithm)
 * @param topK        top-k filter of Dream's algorithms (0 = off; only applied with a Dream algorithm)
 * @param algTemp     Dream's position temperature (0 = off; only applied with a Dream algorithm)
 * @param eps         Dream's final timestep
 * @param wholeCanvas the whole generation is one block everywhere (Dream); otherwise chat and the server prefer
 *                    blocks of 32 when they divide the generation (LLaDA's chat.py)
 * @param blockCausal LLaDA 2.x's generation: blocks aligned at position 0, block-causal attention, steps per block
 * @param blockLength the block length of block-causal generation (0 = the edge's choice)
 * @param threshold   the confidence threshold of block-causal generation (0 = off)
 */
public record GenerationDefaults(String remasking, double temperature, double topP, int topK, double algTemp,
                                 double eps, boolean wholeCanvas, boolean blockCausal, int blockLength, double threshold) {

    /** Defaults without block-causal generation. */
    public GenerationDefaults(String remasking, double temperature, double topP, int topK, double algTemp, double eps,
                              boolean wholeCanvas) {
        this(remasking, temperature, topP, topK, algTemp, eps, wholeCanvas, false, 0, 0);
    }

    /** LLaDA's generate.py: low-confidence remasking, greedy tokens. */
    public static final GenerationDefaults LLADA = new GenerationDefaults("low_confidence", 0, 1, 0, 0, 1e-3, false);

    /**
     * Dream's recommended settings (the model card's example): entropy ranking, temperature 0.2, top-p 0.95, eps
     * 1e-3, the whole canvas at once.
     */
    public static final GenerationDefaults DREAM = new GenerationDefaults("entropy", 0.2, 0.95, 0, 0, 1e-3, true);

    /**
     * LLaDA 2.x's generate(): blocks of 32 aligned at position 0 with block-causal attention, 32 steps per block,
     * every mask above 0.95 confidence else the scheduled most confident, greedy tokens. 2.1's token editing stays
     * off (the same weights serve 2.0, which has none): {@code --editing-threshold 0.9 --max-post-steps 16} turns it on.
     */
    public static final GenerationDefaults LLADA2 =
            new GenerationDefaults("low_confidence", 0, 1, 0, 0, 1e-3, false, true, 32, 0.95);
}
