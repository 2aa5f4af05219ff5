package org.unmask.model;

import org.unmask.text.ChatTemplate;

import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * A model family: how one kind of Hugging Face checkpoint maps onto the one engine ({@link Transformer}). A family
 * reads and writes its {@code config.json} fields, names its tensors by {@link TensorRole}, and says how its models
 * generate by default. Adding a family is one small class implementing this interface plus one line in
 * {@link ModelFamilies}; attention, norms, the feed-forward and the kernels are shared.
 *
 * <p>Extension points for mixture-of-experts families: {@link #tensors} (their expert tensors) and
 * {@link #feedForward} (a routed feed-forward for the layers that have one).
 */
public interface ModelFamily {

    /** Short name shown by {@code unmask info}, e.g. "llada", "dream". */
    String name();

    /** The class names in config.json's {@code architectures} that select this family. */
    List<String> architectures();

    /** The {@code model_type} values that select this family when {@code architectures} is absent. */
    List<String> modelTypes();

    /** Maps the family's config.json onto the engine's config; errors name the file and the field. */
    ModelConfig readConfig(ConfigJson json) throws IOException;

    /** The config.json fields of {@code c} as this family's checkpoints spell them, in file order. */
    Map<String, Object> configJson(ModelConfig c);

    /** How this family's config.json spells an engine field (validation errors use it). */
    String fieldName(ModelConfig.Field field);

    /** Name of the token embedding matrix. */
    String embedding();

    /** Name of the final norm's weight. */
    String finalNorm();

    /** Name of the LM head matrix (absent when the head is tied to the embedding). */
    String lmHead();

    /** Name of a per-layer tensor. */
    String layerTensor(int layer, TensorRole role);

    /**
     * The weights of an attention projection ({@link TensorRole#Q}, {@code K}, {@code V}, {@code O}) of {@code layer}:
     * the tensor the role names here; a family with a fused q/k/v tensor returns its rows for the role.
     */
    default Weights projection(ModelConfig c, int layer, TensorRole role, Function<String, Weights> tensor) {
        return tensor.apply(layerTensor(layer, role));
    }

    /** Every tensor of a model with config {@code c}, in checkpoint order, with its shape and initialisation. */
    default Map<String, TensorSpec> tensors(ModelConfig c) { return ModelTensors.standard(c); }

    /**
     * The feed-forward of {@code layer}, given the model's tensors by name: a dense SwiGLU here; a mixture-of-experts
     * family returns its routed feed-forward for the layers that have experts.
     */
    default FeedForward feedForward(ModelConfig c, int layer, Function<String, Weights> tensor) {
        return new DenseFeedForward(tensor.apply(layerTensor(layer, TensorRole.GATE)),
                tensor.apply(layerTensor(layer, TensorRole.UP)), tensor.apply(layerTensor(layer, TensorRole.DOWN)),
                c.dModel(), c.mlpHiddenSize());
    }

    /** Whether some layers are mixtures of experts (inference only; parameters counted from {@link #tensors}). */
    default boolean mixtureOfExperts() { return false; }

    /**
     * Whether a tensor of a checkpoint that {@link #tensors} does not list is one the family's Hugging Face files carry
     * but the model does not use (skipped on load instead of rejected).
     */
    default boolean ignoredTensor(ModelConfig c, String name) { return false; }

    /** Whether the parameter count is the sum of {@link #tensors} rather than the engine's dense formula. */
    default boolean countsFromTensors() { return mixtureOfExperts(); }

    /** The model over checkpoint tensors: the engine ({@link Transformer}), or the family's own (BERT's encoder). */
    default TrainableModel engine(ModelConfig c, Map<String, Weights> tensors, boolean trainable) {
        return Transformer.fromWeights(c, tensors, trainable);
    }

    /** A trainable random model of {@code c} with matrices from N(0, std²), deterministic by seed. */
    default TrainableModel randomEngine(ModelConfig c, long seed, double std) { return Transformer.randomInit(c, seed, std); }

    /** The feed-forward as {@code unmask info} describes it. */
    default String describeFeedForward(ModelConfig c) { return "SwiGLU, width " + c.mlpHiddenSize(); }

    /**
     * Whether the family's models predict the next token under causal attention (Llama): they generate left to right
     * and score exactly, whatever directory they come from.
     */
    default boolean autoregressive() { return false; }

    /** The sampler settings {@code generate}, {@code chat} and {@code serve} use unless told otherwise. */
    GenerationDefaults generationDefaults();

    /** The text of the end-of-turn token the family's chat format ends turns with. */
    String endOfTurnToken();

    /** The chat format of the family's released models, for a directory whose tokenizer_config.json has no template. */
    default ChatTemplate fallbackChatTemplate() { return ChatTemplate.llada(); }

    /** The end-of-turn id to use when the model directory has no tokenizer to look {@link #endOfTurnToken} up in. */
    default OptionalInt endOfTurnIdWithoutTokenizer(ModelConfig c) { return OptionalInt.empty(); }
}
