/**
 * Mixture-of-experts feed-forward for inference (LLaDA 2.x / BailingMoeV2 and LLaDA-MoE): routers that pick
 * experts and weights per token ({@link org.unmask.model.moe.SigmoidRouter}, {@link org.unmask.model.moe.SoftmaxRouter}),
 * and the layer that runs only the chosen SwiGLU experts plus the always-on shared experts
 * ({@link org.unmask.model.moe.MoeFeedForward}). Sits in the model layer, above tensor storage and kernels.
 */
package org.unmask.model.moe;
