package org.unmask.cli;

import org.unmask.api.UnmaskModel;
import org.unmask.model.GenerationDefaults;
import org.unmask.model.ModelConfig;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.TensorInfo;
import org.unmask.text.ChatTemplate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code unmask info}: what a model directory holds and how the other commands will run it. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print a model directory's family, sizes, storage types, special ids and the generation defaults"
                + " generate, chat and serve use for it.")
public final class InfoCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory or GGUF file.")
    Path model;

    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        UnmaskModel m = ModelDirs.load(model);
        Map<String, Integer> dtypes = new TreeMap<>();
        try (Checkpoint ckpt = Checkpoint.open(model)) {
            for (TensorInfo t : ckpt.tensorInfos().values()) dtypes.merge(t.dtype().name().toLowerCase(Locale.ROOT), 1, Integer::sum);
        }
        PrintWriter out = spec.commandLine().getOut();
        print(out, model, m, dtypes);
        out.flush();
        return 0;
    }

    /** The report, one {@code key: value} line each. */
    static void print(PrintWriter out, Path dir, UnmaskModel m, Map<String, Integer> dtypes) throws java.io.IOException {
        ModelConfig c = m.config();
        var f = c.family();
        out.printf(Locale.ROOT, "model: %s%n", dir);
        out.printf(Locale.ROOT, "family: %s (%s)%n", f.name(), String.join(", ", f.architectures()));
        out.printf(Locale.ROOT, "parameters: %,d%n", c.parameterCount());
        out.printf(Locale.ROOT, "layers: %d%n", c.nLayers());
        out.printf(Locale.ROOT, "hidden size: %d%n", c.dModel());
        if (f instanceof org.unmask.model.BertFamily) {   // learned positions, biases everywhere, post-LayerNorm
            out.printf(Locale.ROOT, "attention: %d heads, head size %d, learned absolute positions, biases on every linear,"
                    + " post-LayerNorm, bidirectional%n", c.nHeads(), c.headDim());
        } else {
            out.printf(Locale.ROOT, "attention: %d query heads, %d key/value heads, head size %d, rotary dims %d, rope theta %s,"
                            + " q/k/v bias %s, qk norm %s, %s%n", c.nHeads(), c.nKvHeads(), c.headDim(), c.rotaryDim(),
                    number(c.ropeTheta()), yesNo(c.qkvBias()), yesNo(c.qkNorm()), m.autoregressive() ? "causal" : "bidirectional");
        }
        out.printf(Locale.ROOT, "feed-forward: %s%n", f.describeFeedForward(c));
        out.printf(Locale.ROOT, "vocabulary: %d, embedding rows %d, lm head %s%n", c.vocabSize(), c.embeddingSize(),
                c.weightTying() ? "tied to the embedding" : "untied");
        out.printf(Locale.ROOT, "%s eps: %s%n", f instanceof org.unmask.model.BertFamily ? "layer norm" : "rms norm", number(c.rmsNormEps()));
        out.printf(Locale.ROOT, "max sequence length: %d%n", c.maxSequenceLength());
        StringBuilder types = new StringBuilder();
        dtypes.forEach((t, n) -> types.append(types.isEmpty() ? "" : ", ").append(t).append(" (").append(n).append(" tensors)"));
        out.printf(Locale.ROOT, "dtypes: %s%n", types);
        // a causal LM that names no mask: generation's own placeholder fills the positions to come
        String mask = c.canvasMaskId() != c.maskTokenId() ? "none (generation writes " + c.canvasMaskId() + " where tokens are to come)"
                : Integer.toString(c.maskTokenId());
        out.printf(Locale.ROOT, "special ids: mask %s, eos %d, eot %s, bos %s, pad %d%n", mask, c.eosTokenId(),
                m.eotId() < 0 ? "none" : Integer.toString(m.eotId()),
                c.bosTokenIdOrNull() == null ? "none" : c.bosTokenIdOrNull().toString(), c.padTokenId());
        out.printf(Locale.ROOT, "logit shift: %s%n", c.logitShift()
                ? "yes (the token at i is predicted from the output at i-1: generate, infill, score, eval, chat and serve"
                  + " shift; logits prints the raw forward)"
                : "no");
        out.printf(Locale.ROOT, "block diffusion: %s%n", c.blockDiffusion()
                ? "blocks of " + c.blockSize() + " (block_size: block-causal attention; generate, chat and serve decode block by"
                  + " block with the exact cache, eval and score use the block ELBO)"
                : "no");
        if (m.autoregressive())
            out.println("autoregressive: yes (trainer_state.json names the 'ar' objective: the output at i predicts token i+1 under"
                    + " causal attention; generate, chat and serve write left to right, one token per step; score and eval are exact)");
        if (c.neverPredictMask())
            out.println("mask token: never predicted (never_predict_mask, MDLM's SUBS: its logit is -inf in every output)");
        GenerationDefaults g = m.generationDefaults();
        out.printf(Locale.ROOT, "generation defaults: remasking %s, temperature %s, top_p %s, top_k %d, alg_temp %s, eps %s,"
                        + " steps = gen length, block length = %s%n", g.remasking(), number(g.temperature()), number(g.topP()),
                g.topK(), number(g.algTemp()), number(g.eps()),
                g.blockCausal() ? g.blockLength() + " (block-causal, one block after another)"
                : g.blockLength() > 0 ? g.blockLength() + " (the model's own, from " + GenerationDefaults.FILE + " or the GGUF's "
                        + GenerationDefaults.GGUF_KEY + "; the longest length up to it that divides the gen length)"
                        : g.wholeCanvas() ? "gen length (the whole canvas at once)" : "gen length (chat and serve: 32 when it divides)");
        boolean fromMetadata = Checkpoint.isGguf(dir) && !java.nio.file.Files.isRegularFile(
                dir.toAbsolutePath().resolveSibling("tokenizer.json"));
        out.printf(Locale.ROOT, "tokenizer: %s%n", m.tokenizer().map(t -> (fromMetadata ? "GGUF metadata, " : "tokenizer.json, ")
                        + t.vocabSize() + " tokens")
                .orElse("none (token ids only)"));
        // where the template came from, in the order loading looks: tokenizer_config.json, the GGUF file, the family
        Path home = Checkpoint.isGguf(dir) ? dir.toAbsolutePath().getParent() : dir;
        String template = m.chatTemplate().source();
        String fallback = template.equals(ChatTemplate.LLADA_JINJA) ? "LLaDA-style" : template.equals(ChatTemplate.CHATML_JINJA)
                ? "ChatML" : template.equals(ChatTemplate.LING_JINJA) ? "Ling's" : null;
        out.printf(Locale.ROOT, "chat template: %s%n", ChatTemplate.declared(home).isPresent() ? "tokenizer_config.json"
                : fallback == null || !template.equals(m.config().family().fallbackChatTemplate().source())
                ? "GGUF metadata (tokenizer.chat_template)"
                : fallback + " (no chat_template in tokenizer_config.json)");
    }

    private static String yesNo(boolean b) { return b ? "yes" : "no"; }

    /** A number as written in config.json: whole numbers without a fraction, others in their shortest form. */
    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
