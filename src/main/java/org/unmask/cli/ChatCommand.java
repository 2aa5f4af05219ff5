package org.unmask.cli;

import org.unmask.diffusion.InvalidSettingException;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.Setting;
import org.unmask.model.GenerationDefaults;
import org.unmask.serve.AnswerStep;
import org.unmask.serve.AnswerTracker;
import org.unmask.serve.CancellationToken;
import org.unmask.serve.ChatConversation;
import org.unmask.serve.EngineLoader;
import org.unmask.serve.GenerationEngine;
import org.unmask.serve.GenerationRequest;
import org.unmask.serve.GenerationResult;
import org.unmask.serve.Vocabulary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code unmask chat}: a multi-turn conversation in the terminal, each answer shown block by block as it settles. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model in the terminal, answers shown block by block, with every sampling setting of"
                + " generate. Prompts use the model's chat template (tokenizer_config.json) or the LLaDA-style one."
                + " /reset forgets the history, /exit quits.")
public final class ChatCommand implements Callable<Integer> {
    /**
     * Block length when --block-length is absent and it divides --gen-length (LLaDA's chat.py uses 32), unless the
     * model's family decodes the whole canvas at once (Dream).
     */
    static final int DEFAULT_BLOCK_LENGTH = 32;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV] (see pull).")
    Path model;

    @Option(names = {"--gen-length", "--max-tokens"}, defaultValue = "128", description = "Tokens per answer, at most: each turn "
            + "ends at end-of-text (block-causal models stop decoding there) (default: ${DEFAULT-VALUE}).")
    int genLength;

    @Mixin SamplingOptions sampling;

    @Option(names = "--system", description = "System message put before the first turn.")
    String system;

    @Spec CommandSpec spec;

    private final EngineLoader loader;
    private final InputStream in;
    private final PrintStream out;

    public ChatCommand() { this(dir -> ModelDirs.engine(dir, 1), System.in, System.out); }

    ChatCommand(EngineLoader loader, InputStream in, PrintStream out) {
        this.loader = loader;
        this.in = in;
        this.out = out;
    }

    @Override public Integer call() throws Exception {
        if (genLength <= 0) throw new ParameterException(spec.commandLine(), "--gen-length must be positive, got " + genLength);
        GenerationEngine engine = loader.load(model);
        if (genLength > engine.maxGenLength())
            throw new ParameterException(spec.commandLine(), "--gen-length " + genLength + " is over the model's limit of " + engine.maxGenLength());
        Vocabulary vocab = engine.vocabulary();
        SamplerConfig.Builder settings;
        try {
            GenerationDefaults defaults = engine.generationDefaults();
            int block = !defaults.wholeCanvas() && genLength % DEFAULT_BLOCK_LENGTH == 0 ? DEFAULT_BLOCK_LENGTH : genLength;
            settings = sampling.builder(defaults, genLength, genLength, block)
                    .fallbackThreshold(SamplerConfig.FAST_DLLM_THRESHOLD).specialIds(vocab.maskId(), vocab.eosId(), vocab.eotId());
            settings.build();   // validated once, before the first turn
        } catch (InvalidSettingException e) {
            throw new ParameterException(spec.commandLine(), e.message(Setting::flag));
        }
        ChatConversation conversation = new ChatConversation(engine.chatTemplate(), vocab, system);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        out.println("unmask chat with " + engine.modelId() + " (/reset forgets the history, /exit quits)");
        for (long turn = 0; ; turn++) {
            out.print("> ");
            out.flush();
            String line = reader.readLine();
            if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) break;
            if (line.isBlank()) continue;
            if (line.strip().equals("/reset")) {
                conversation.reset();
                out.println("(history cleared)");
                continue;
            }
            int[] prompt = conversation.prompt(line);
            if (prompt.length + genLength > engine.maxSequenceLength()) {
                out.println("(the conversation no longer fits the model's context of " + engine.maxSequenceLength()
                        + " tokens; /reset to start over)");
                continue;
            }
            GenerationRequest req = new GenerationRequest(prompt, settings.seed(sampling.seed + turn).build(), List.of());
            AnswerTracker tracker = new AnswerTracker(List.of());
            CancellationToken token = new CancellationToken();
            GenerationResult r = engine.generate(req, e -> {
                AnswerStep a = vocab.answerStep(e, prompt.length);
                out.print(tracker.update(a.text(), a.ended(), false));
                out.flush();
                if (tracker.done()) token.cancel();   // the answer is complete: skip the remaining blocks
            }, token);
            out.print(tracker.update(vocab.answerText(r.canvas()), true, true));
            out.println();
            conversation.accept(prompt, generatedForHistory(vocab, r.canvas()));
        }
        out.println();
        return 0;
    }

    /** The committed answer through its end token (what follows it is EOS padding, which the history drops). */
    static int[] generatedForHistory(Vocabulary vocab, int[] canvas) {
        int settled = vocab.settledLength(canvas);
        int end = vocab.endIndex(canvas, settled);
        return Arrays.copyOf(canvas, end >= 0 ? end + 1 : settled);
    }
}
