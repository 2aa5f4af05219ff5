package org.unmask.train;

import org.unmask.model.BertEncoder;
import org.unmask.model.BertFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.TrainableModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The run or model directory a run starts from ({@code train --init-from}, the studies' adapted arms): its
 * configuration, its tokenizer, and whether it was trained autoregressively (then the diffusion run keeps next-token
 * prediction through the logit shift and anneals attention from causal to bidirectional). A BERT-family encoder
 * without a masked-LM head ({@code BertModel}) gets one, tied to the word embeddings, its transform starting as the
 * identity.
 *
 * @param dir           the directory
 * @param config        its config.json
 * @param fromAr        its trainer_state.json says it was trained with the AR objective
 * @param tokenizerOrNull its tokenizer.json, null when it has none
 * @param addsHead      the directory is an encoder without a masked-LM head: {@link #config} has one added
 */
public record WarmStart(Path dir, ModelConfig config, boolean fromAr, Path tokenizerOrNull, boolean addsHead) {

    /** Reads {@code dir}; a directory without config.json is named in the error. */
    public static WarmStart of(Path dir) throws IOException {
        if (org.unmask.model.io.Checkpoint.isGguf(dir))
            throw new IOException(dir + ": a GGUF file holds inference weights (often quantized); start training from the"
                    + " model directory it was made from");
        if (!Files.isRegularFile(dir.resolve(RunCheckpoint.CONFIG)))
            throw new IOException(dir + ": not a model directory (config.json is missing)");
        ModelConfig config = RunCheckpoint.config(dir);
        boolean fromAr = TrainerState.autoregressive(dir);
        Path tok = dir.resolve(RunCheckpoint.TOKENIZER);
        boolean addsHead = config.family() instanceof BertFamily f && !f.mlmHead();
        return new WarmStart(dir, addsHead ? BertFamily.withMlmHead(config) : config, fromAr,
                Files.isRegularFile(tok) ? tok : null, addsHead);
    }

    /** Copies the directory's weights into {@code model} (built from {@link #config}, possibly with the logit shift). */
    public void loadInto(TrainableModel model) throws IOException {
        if (addsHead) {   // the encoder's weights, and the new head whose transform starts as the identity
            ((BertEncoder) model).identityHeadTransform();
            RunCheckpoint.loadWeights(dir, model, ((BertFamily) config.family()).headTensors(config));
        } else {
            RunCheckpoint.loadWeights(dir, model);
        }
    }
}
