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

    @Option(names = "--gen-length", required = true, paramLabel = "N", description = "Number of tokens to generate.")
    int genLength;

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
        if (genLength <= 0) throw new IllegalArgumentException("--gen-length must be positive, got " + genLength);
        var c = model.config();
        var cfg = sampling.config(model.generationDefaults(), genLength, genLength, genLength, c.maskTokenId(), c.eosTokenId(),
                eotId != null ? eotId : model.eotId());
        SamplingRun.run(model, views, cfg, ids, false, out, err);
        return 0;
    }
}
