package org.unmask.cli;

import org.unmask.api.UnmaskModel;
import org.unmask.text.ChatMessage;
import org.unmask.text.ChatTemplate;
import org.unmask.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code unmask generate}: sample a continuation of one or more prompts with the reverse diffusion process. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text by unmasking (LLaDA sampling, Dream algorithms, Fast-dLLM threshold decoding, ReMDM).")
public final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json, weights, optional tokenizer.json), or a Hub model ORG/NAME[@REV] (see pull).")
    Path modelDir;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (repeat for a batch).")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--prompt-ids", paramLabel = "IDS", description = "Prompt as space-separated token ids (repeat for a batch).")
    List<String> promptIds = new ArrayList<>();

    @Option(names = "--chat", description = "Wrap each text prompt in the model's chat template (tokenizer_config.json),"
            + " or the LLaDA-style one when it has none.")
    boolean chat;

    @Option(names = "--gen-length", paramLabel = "N", description = "Number of tokens to generate (a fixed canvas).")
    Integer genLength;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Block-causal models (block diffusion, LLaDA 2.x): "
            + "generate block after block until end-of-text or N tokens, whichever comes first.")
    Integer maxTokens;

    @Option(names = "--eot-id", description = "End-of-turn id (default: the family's end-of-turn token from the tokenizer, <|eot_id|> or Dream's <|im_end|>; without a tokenizer 126348 for LLaDA-8B, 151645 for Dream-7B; else none).")
    Integer eotId;

    @Mixin SamplingOptions sampling;

    @Mixin ViewOptions views;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return run(ModelDirs.load(modelDir), spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The command body over an already loaded model. */
    int run(UnmaskModel model, PrintWriter out, PrintWriter err) throws Exception {
        Optional<Tokenizer> tok = model.tokenizer();
        if (prompts.isEmpty() == promptIds.isEmpty())
            throw new IllegalArgumentException("give the prompt either as --prompt TEXT or as --prompt-ids \"IDS\" (exactly one kind)");
        List<int[]> ids = new ArrayList<>();
        for (String p : promptIds) ids.add(Ids.parse(p, "--prompt-ids"));
        if (!prompts.isEmpty()) {
            Tokenizer t = Ids.requireTokenizer(tok, modelDir, "--prompt-ids");
            ChatTemplate template = chat ? model.chatTemplate() : null;
            for (String p : prompts)
                ids.add(chat ? t.encode(template.prompt(List.of(new ChatMessage("user", p))), false) : t.encode(p, true));
        }
        if ((genLength == null) == (maxTokens == null))
            throw new IllegalArgumentException("give the length either as --gen-length N (a fixed canvas) or as --max-tokens N (exactly one)");
        int n = genLength != null ? genLength : maxTokens;
        if (n <= 0) throw new IllegalArgumentException((genLength != null ? "--gen-length" : "--max-tokens") + " must be positive, got " + n);
        var c = model.config();
        var builder = sampling.builder(model.generationDefaults(), n, n, n)
                .specialIds(c.canvasMaskId(), c.eosTokenId(), eotId != null ? eotId : model.eotId());
        // any length: under block-causal attention the masks after the current block are never seen, so a canvas of N
        // decoded block by block and stopped at end-of-text gives the tokens of a canvas grown one block at a time
        if (maxTokens != null) builder.earlyStop(true);
        var cfg = builder.build();
        if (maxTokens != null && !cfg.blockCausal())
            throw new IllegalArgumentException("--max-tokens needs block-causal generation (a block-diffusion model, LLaDA 2.x, "
                    + "or --block-causal); this model decodes a fixed canvas: use --gen-length");
        SamplingRun.run(model, views, cfg, ids, false, out, err);
        return 0;
    }
}
