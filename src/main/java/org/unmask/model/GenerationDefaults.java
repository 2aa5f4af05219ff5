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
 */
public record GenerationDefaults(String remasking, double temperature, double topP, int topK, double algTemp,
                                 double eps, boolean wholeCanvas) {

    /** LLaDA's generate.py: low-confidence remasking, greedy tokens. */
    public static final GenerationDefaults LLADA = new GenerationDefaults("low_confidence", 0, 1, 0, 0, 1e-3, false);

    /**
     * Dream's recommended settings (the model card's example): entropy ranking, temperature 0.2, top-p 0.95, eps
     * 1e-3, the whole canvas at once.
     */
    public static final GenerationDefaults DREAM = new GenerationDefaults("entropy", 0.2, 0.95, 0, 0, 1e-3, true);
}
