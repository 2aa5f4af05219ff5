package org.unmask.train;

import org.unmask.model.BertEncoder;
import org.unmask.model.BertFamily;
import org.unmask.model.LlamaFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.ModelFamily;
import org.unmask.model.ModelTensors;
import org.unmask.model.TrainableModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The run or model directory a run starts from ({@code train --init-from}, the studies' adapted arms): its
 * configuration, its tokenizer, and whether it was trained autoregressively (then the diffusion run keeps next-token
 * prediction through the logit shift and anneals attention from causal to bidirectional). A BERT-family encoder
 * without a masked-LM head ({@code BertModel}) gets one, tied to the word embeddings, its transform starting as the
 * identity. A causal LM ({@code LlamaForCausalLM}, {@code Qwen2ForCausalLM}) is autoregressive by its family and trains
 * on in LLaDA's layout (Llama, its tensors renamed on loading) or Dream's (Qwen2, whose names Dream keeps).
 *
 * @param dir           the directory
 * @param config        its config.json
 * @param fromAr        it predicts the next token: its trainer_state.json names the AR objective, or its family is causal
 * @param tokenizerOrNull its tokenizer.json, null when it has none
 * @param addsHead      the directory is an encoder without a masked-LM head: {@link #config} has one added
 * @param stored        the family whose names the directory's tensors carry (Llama's when {@link #config} is LLaDA's)
 */
public record WarmStart(Path dir, ModelConfig config, boolean fromAr, Path tokenizerOrNull, boolean addsHead,
                        ModelFamily stored) {

    /** Reads {@code dir}; a directory without config.json is named in the error. */
    public static WarmStart of(Path dir) throws IOException {
        if (org.unmask.model.io.Checkpoint.isGguf(dir))
            throw new IOException(dir + ": a GGUF file holds inference weights (often quantized); start training from the"
                    + " model directory it was made from");
        if (!Files.isRegularFile(dir.resolve(RunCheckpoint.CONFIG)))
            throw new IOException(dir + ": not a model directory (config.json is missing)");
        ModelConfig config = RunCheckpoint.config(dir);
        ModelFamily stored = config.family();
        if (stored.autoregressive()) config = asDiffusion(dir, config);
        boolean fromAr = stored.autoregressive() || TrainerState.autoregressive(dir);
        Path tok = dir.resolve(RunCheckpoint.TOKENIZER);
        boolean addsHead = config.family() instanceof BertFamily f && !f.mlmHead();
        return new WarmStart(dir, addsHead ? BertFamily.withMlmHead(config) : config, fromAr,
                Files.isRegularFile(tok) ? tok : null, addsHead, stored);
    }

    /**
     * A causal LM's config as the diffusion family it trains as (LLaDA's layout, or Dream's for Qwen2's q/k/v biases);
     * errors say what the diffusion run needs.
     */
    private static ModelConfig asDiffusion(Path dir, ModelConfig c) throws IOException {
        Path file = dir.resolve(RunCheckpoint.CONFIG);
        if (c.maskTokenId() == c.eosTokenId())
            throw new IOException(file + ": a diffusion run needs a mask token, and mask_token_id (Unmask's own field) is"
                    + " absent or equal to eos_token_id; set it to a token of the vocabulary that text never uses (an unused"
                    + " special token)");
        if (c.headDim() * c.nHeads() != c.dModel())
            throw new IOException(file + ": head_dim " + c.headDim() + " × num_attention_heads " + c.nHeads()
                    + " differs from hidden_size " + c.dModel() + ", which training requires");
        return c.withFamily(((LlamaFamily) c.family()).diffusionFamily());
    }

    /** Copies the directory's weights into {@code model} (built from {@link #config}, possibly with the logit shift). */
    public void loadInto(TrainableModel model) throws IOException {
        if (addsHead) {   // the encoder's weights, and the new head whose transform starts as the identity
            ((BertEncoder) model).identityHeadTransform();
            RunCheckpoint.loadWeights(dir, model, ((BertFamily) config.family()).headTensors(config));
        } else if (stored != config.family()) {
            ModelConfig asStored = config.withFamily(stored);   // engine name -> the directory's name for the same role
            Map<String, String> names = ModelTensors.renamed(identity(asStored), asStored, config.family());
            RunCheckpoint.loadWeights(dir, model, names::get);
        } else {
            RunCheckpoint.loadWeights(dir, model);
        }
    }

    /** Each tensor name of {@code c}'s family mapped to itself. */
    private static Map<String, String> identity(ModelConfig c) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String name : c.family().tensors(c).keySet()) m.put(name, name);
        return m;
    }
}
