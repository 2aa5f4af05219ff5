package org.unmask.cli;

import org.unmask.data.SftExample;
import org.unmask.data.SftExamples;
import org.unmask.data.TokenizerSetup;
import org.unmask.model.TrainableModel;
import org.unmask.model.LladaFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.io.Checkpoint;
import org.unmask.text.ChatTemplate;
import org.unmask.text.SpecialTokens;
import org.unmask.train.Budget;
import org.unmask.train.CleanBatch;
import org.unmask.train.Rng;
import org.unmask.train.RunCheckpoint;
import org.unmask.train.SftBatches;
import org.unmask.train.SftObjective;
import org.unmask.train.BlockDiffusionObjective;
import org.unmask.train.Objective;
import org.unmask.train.TrainOptions;
import org.unmask.train.Validation;
import org.unmask.diffusion.Elbo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code unmask sft}: supervised fine-tuning of a trained model on prompt/response pairs (LLaDA's SFT loss). */
@Command(name = "sft", mixinStandardHelpOptions = true,
        description = {"Fine-tune a model on chat examples: the prompt is never masked, the answer (with its EOS padding) is.",
                "Data: JSONL with prompt/response fields or chat messages; the run directory is a model directory like train's."})
public final class SftCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory to start from (with tokenizer.json), or a Hub model ORG/NAME[@REV].")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl", description = "Fine-tuning examples.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory of the fine-tuned model.")
    Path out;

    @Mixin
    TrainingOptions options = new TrainingOptions();

    @Override public Integer call() throws Exception {
        PrintStream err = System.err;
        Budget budget = options.budget(Budget.epochs(3), out);
        if (out.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize()))
            throw new IOException("--out must differ from --model (the base model is kept unchanged)");
        Files.createDirectories(out.toAbsolutePath().getParent());
        options.checkRunDirectory(out);
        options.settle(out, err);

        Path source = options.resume ? out : ModelDirs.resolve(model);
        Path tokFile = source.resolve(RunCheckpoint.TOKENIZER);
        TokenizerSetup.Found tok = TokenizerSetup.obtain("", "text", 0, tokFile, out, options.cacheDir(), err::println);
        TrainableModel net;
        ModelConfig config;
        try (Checkpoint ckpt = Checkpoint.open(source)) {
            config = ckpt.config();
            net = config.family().engine(config, ckpt.tensors(), true);
        }
        // the model's own ids (Dream's <|mask|>, ours <|mdm_mask|>); in our layout the tokenizer's must agree with them
        int mask = config.maskTokenId(), eos = config.eosTokenId();
        var ours = tok.tokenizer().tokenId(SpecialTokens.MASK);
        if (config.family() == LladaFamily.INSTANCE && ours.isPresent() && ours.getAsInt() != mask)
            throw new IOException(source + ": config.json mask_token_id " + mask + " differs from the tokenizer's " + ours.getAsInt());
        ChatTemplate template = ChatTemplate.load(source, config.family().fallbackChatTemplate());
        int seqLen = options.seqLen(config);
        TrainOptions topts = options.toTrainOptions(budget, seqLen, 1e-4, out);

        List<SftExample> all = SftExamples.read(data, tok.tokenizer(), template);
        List<SftExample> fit = SftBatches.fitting(all, seqLen);
        if (fit.size() < all.size())
            err.printf("note: %d of %d examples have a prompt of --seq-len %d tokens or more and are left out%n", all.size() - fit.size(), all.size(), seqLen);
        // hold out 5% (seeded) for validation when there are enough examples
        List<SftExample> shuffled = new ArrayList<>(fit);
        int[] order = new int[shuffled.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        new Rng(options.seed + 29).shuffle(order);
        int held = fit.size() >= 20 ? Math.max(1, fit.size() / 20) : 0;
        List<SftExample> train = new ArrayList<>(), valid = new ArrayList<>();
        for (int i = 0; i < order.length; i++) (i < held ? valid : train).add(fit.get(order[i]));
        SftBatches batches = new SftBatches(train, topts.batch(), seqLen, eos, options.seed);
        Validation validation = null;
        if (!valid.isEmpty()) {
            List<CleanBatch> vb = new ArrayList<>();
            for (int i = 0; i < valid.size(); i += topts.batch())
                vb.add(SftBatches.pad(valid.subList(i, Math.min(valid.size(), i + topts.batch())), seqLen, eos));
            validation = new Validation(Validation.rows(vb), options.valGrid, topts.batch(), Elbo.DEFAULT_SEED);
        }
        TokenizerSetup.install(tok, out);
        // the chat template the examples were rendered with, so `unmask chat` and `serve` prompt the model the same way
        template.install(out);
        err.printf(Locale.ROOT, "sft: %d training and %d validation examples from %s; base model %s (%.2fM parameters)%n",
                train.size(), valid.size(), data, source, config.parameterCount() / 1e6);
        // a block-diffusion model is fine-tuned with its own objective: the prompt stays clean, the answer is noised block by block
        Objective objective = config.blockDiffusion() ? new BlockDiffusionObjective(mask, config.blockSize(), config.logitShift())
                : new SftObjective(mask, config.logitShift());
        return TrainingRun.run(net, objective, batches, validation, out, topts, options, err);
    }
}
