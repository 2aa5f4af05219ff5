package org.unmask.api;

import java.util.Map;
import org.unmask.model.tensor.Weights;
import org.unmask.model.tensor.DType;
import org.unmask.model.io.QuantizeOnLoad;
import org.unmask.diffusion.Elbo;
import org.unmask.hub.Hub;
import org.unmask.diffusion.Infill;
import org.unmask.diffusion.Likelihood;
import org.unmask.diffusion.NextTokenNll;
import org.unmask.diffusion.NllEstimate;
import org.unmask.diffusion.SampleResult;
import org.unmask.diffusion.Sampler;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.ScoredSequence;
import org.unmask.diffusion.StepListener;
import org.unmask.model.CachingDenoiser;
import org.unmask.model.Denoiser;
import org.unmask.model.KvCache;
import org.unmask.model.GenerationDefaults;
import org.unmask.model.LogitShift;
import org.unmask.model.ModelFamily;
import org.unmask.model.TrainableModel;
import org.unmask.model.ModelConfig;
import org.unmask.model.io.Checkpoint;
import org.unmask.text.ChatMessage;
import org.unmask.text.ChatTemplate;
import org.unmask.text.HfTokenizer;
import org.unmask.text.Tokenizer;
import org.unmask.train.TrainerState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A masked diffusion language model ready to use from Java: load a Hugging Face model directory, then generate,
 * infill, chat, score and evaluate. Thread-safe: concurrent callers share the model and their forward passes take
 * turns (each pass already uses every core), so two generations interleave step by step instead of one waiting for
 * the other.
 *
 * <pre>{@code
 * UnmaskModel model = UnmaskModel.load(Path.of("models/unmask-bible"));
 * Generation g = model.generate("In the beginning", model.sampling().genLength(64).blockLength(16).threshold(0.9), null);
 * System.out.println(g.text());
 * }</pre>
 */
public final class UnmaskModel {
    private final Denoiser model;
    private final Denoiser samplerView;
    private final boolean autoregressive;
    private final Optional<Tokenizer> tokenizer;
    private final Path directory;
    private final ChatTemplate chatTemplate;
    private final GenerationDefaults defaults;

    private UnmaskModel(Denoiser model, Optional<Tokenizer> tokenizer, Path directory, ChatTemplate chatTemplate,
                        GenerationDefaults defaults) {
        // what the sampler, the likelihood and the ELBO see: Dream's logit shift applied to the family's raw forward
        this.model = new TurnTaking(LogitShift.apply(model));
        // an autoregressive model's output at i predicts token i+1: the sampler scores position i with row i-1's logits
        this.autoregressive = defaults.autoregressive();
        this.samplerView = autoregressive ? LogitShift.always(this.model) : this.model;
        this.tokenizer = tokenizer;
        this.directory = directory;
        this.chatTemplate = chatTemplate;
        this.defaults = defaults;
    }

    /**
     * Loads {@code dir} of any family (config.json, safetensors weights, optional tokenizer.json), or a GGUF file of
     * the llada or dream architecture (any of F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K-Q6_K, IQ4_NL,
     * IQ4_XS). Weights stay memory-mapped (bf16 and f16 are used in place) for the life of the process. Errors name
     * the file, field or tensor at fault.
     */
    public static UnmaskModel load(Path dir) throws IOException { return load(dir, null); }

    /**
     * The same, with the matrices quantized to {@code quantize} (Q8_0 or Q4_0) in native memory while loading, or used
     * as stored when it is null (see {@link QuantizeOnLoad}).
     */
    public static UnmaskModel load(Path dir, DType quantize) throws IOException {
        dir = Hub.resolve(dir);   // ORG/NAME[@REV]: the Hugging Face cache's snapshot, pulled when missing
        if (Checkpoint.isGguf(dir)) return loadGguf(dir, quantize);
        if (!Files.isDirectory(dir)) throw new IOException("model directory " + dir + " does not exist");
        Checkpoint ckpt = Checkpoint.open(dir);
        TrainableModel model = ckpt.config().family().engine(ckpt.config(), weights(ckpt, quantize), false);
        if (quantize != null) ckpt.close();   // every tensor is a copy now: unmap the file
        Path tok = dir.resolve("tokenizer.json");
        GenerationDefaults defaults = GenerationDefaults.of(ckpt.config());
        return new UnmaskModel(model, Files.isRegularFile(tok) ? Optional.of(HfTokenizer.load(tok)) : Optional.empty(), dir,
                ChatTemplate.load(dir, model.config().family().fallbackChatTemplate()),
                GenerationDefaults.read(dir, TrainerState.autoregressive(dir) ? defaults.asAutoregressive() : defaults));
    }

    /**
     * A GGUF file: weights used in place from the mapping (quantized ones dequantized inside the kernels), the
     * tokenizer from a tokenizer.json beside the file or else from the file's metadata, the chat template from a
     * tokenizer_config.json beside it or else from the file's metadata, the generation defaults from a generation_config.json beside it or else from
     * the file's metadata ({@link GenerationDefaults#GGUF_KEY}, written by quantize).
     */
    private static UnmaskModel loadGguf(Path file, DType quantize) throws IOException {
        Checkpoint ckpt = Checkpoint.open(file);
        TrainableModel model = ckpt.config().family().engine(ckpt.config(), weights(ckpt, quantize), false);
        Path dir = file.toAbsolutePath().getParent();
        Path tok = dir.resolve("tokenizer.json");
        Optional<Tokenizer> tokenizer = Files.isRegularFile(tok) ? Optional.of(HfTokenizer.load(tok))
                : ckpt.ggufTokenizer().map(t -> (Tokenizer) t);
        GenerationDefaults family = GenerationDefaults.of(model.config());
        GenerationDefaults defaults = Files.isRegularFile(dir.resolve(GenerationDefaults.FILE)) ? GenerationDefaults.read(dir, family)
                : GenerationDefaults.fromGguf(ckpt.ggufMetadata().orElseThrow(), file, family);
        // the chat template: a tokenizer_config.json beside the file, else the file's metadata, else the family's format
        Optional<ChatTemplate> template = ChatTemplate.declared(dir);
        if (template.isEmpty()) template = ckpt.ggufChatTemplate(tokenizer.orElse(null));
        return new UnmaskModel(model, tokenizer, file, template.orElse(model.config().family().fallbackChatTemplate()), defaults);
    }

    private static Map<String, Weights> weights(Checkpoint ckpt, DType quantize) {
        return quantize == null ? ckpt.tensors() : QuantizeOnLoad.apply(ckpt.config(), ckpt.tensors(), quantize);
    }

    /**
     * Wraps a model already in memory (a freshly trained one, or a test double), with an optional tokenizer; its
     * logits are the raw forward, shifted here when its config asks for a logit shift.
     */
    public static UnmaskModel of(Denoiser model, Optional<Tokenizer> tokenizer) {
        return of(model, tokenizer, ChatTemplate.llada());
    }

    /** The same with a chat template (a model directory's, as {@link #load} would find it). */
    public static UnmaskModel of(Denoiser model, Optional<Tokenizer> tokenizer, ChatTemplate chatTemplate) {
        return new UnmaskModel(model, tokenizer, null, chatTemplate, GenerationDefaults.of(model.config()));
    }

    /**
     * Wraps an autoregressive model already in memory (causal attention, the output at i predicting token i+1, as
     * {@code train --objective ar} trains it): it generates left to right and scores exactly, as {@link #load} does
     * for a directory whose trainer_state.json names the {@code ar} objective.
     */
    public static UnmaskModel ofAutoregressive(Denoiser model, Optional<Tokenizer> tokenizer) {
        return new UnmaskModel(model, tokenizer, null, ChatTemplate.llada(), GenerationDefaults.of(model.config()).asAutoregressive());
    }

    /** The architecture and special ids. */
    public ModelConfig config() { return model.config(); }

    /**
     * Whether this is an autoregressive model (the AR baseline): it writes one token per step, left to right, scores
     * with its exact likelihood, and cannot infill.
     */
    public boolean autoregressive() { return autoregressive; }

    /** The tokenizer, when the model directory has one. */
    public Optional<Tokenizer> tokenizer() { return tokenizer; }

    /** The chat template of tokenizer_config.json, or the LLaDA-style one when the directory has none. */
    public ChatTemplate chatTemplate() { return chatTemplate; }

    /**
     * The sampler defaults: the model family's (Dream: entropy, T 0.2, top-p 0.95, whole canvas), overridden by those
     * the model directory ships in generation_config.json.
     */
    public GenerationDefaults generationDefaults() { return defaults; }

    /**
     * The model's forward pass (serialised between callers; shifted for Dream), for code that drives the sampler or
     * the estimators itself. An autoregressive model's is its raw causal forward, as {@link NextTokenNll} takes it; the
     * sampler sees it shifted (see {@link #run}).
     */
    public Denoiser denoiser() { return model; }

    /** The directory the model was loaded from, empty for a model wrapped in memory. */
    public Optional<Path> directory() { return Optional.ofNullable(directory); }

    /**
     * The end-of-turn id: the family's end-of-turn token ({@code <|eot_id|>} for LLaDA, {@code <|im_end|>} for Dream)
     * from the tokenizer, else the family's known id when the model uses its release's EOS (LLaDA-8B: 126348), else
     * none (-1).
     */
    public int eotId() {
        ModelFamily family = config().family();
        if (tokenizer.isPresent()) {
            var id = tokenizer.get().tokenId(family.endOfTurnToken());
            if (id.isPresent()) return id.getAsInt();
        }
        return family.endOfTurnIdWithoutTokenizer(config()).orElse(-1);
    }

    /**
     * A settings builder with this model's special ids and its family's generation defaults; set at least the gen
     * length.
     */
    public SamplerConfig.Builder sampling() {
        return SamplerConfig.builder().defaults(generationDefaults())
                .specialIds(config().canvasMaskId(), config().eosTokenId(), eotId());
    }

    /** Encodes a prompt the way generation expects it (with the tokenizer's added special tokens). */
    public int[] encodePrompt(String prompt) { return requireTokenizer().encode(prompt, true); }

    /** Generates a continuation of {@code prompt}; {@code listener} (nullable) sees every step. */
    public Generation generate(String prompt, SamplerConfig.Builder settings, StepListener listener) {
        return generate(encodePrompt(prompt), settings, listener);
    }

    /** Generates a continuation of the prompt ids; {@code listener} (nullable) sees every step. */
    public Generation generate(int[] promptIds, SamplerConfig.Builder settings, StepListener listener) {
        return generate(List.of(promptIds), settings, listener).getFirst();
    }

    /**
     * Generates from several prompts as one left-padded batch (each row gives what it would alone with seed + row);
     * events name the row of each prompt.
     */
    public List<Generation> generate(List<int[]> prompts, SamplerConfig.Builder settings, StepListener listener) {
        return run(prompts, build(settings), listener, false);
    }

    /** Runs the sampler with fully built settings (the CLI and the server, which build and validate them at their edge). */
    public List<Generation> run(List<int[]> prompts, SamplerConfig settings, StepListener listener, boolean wholeCanvas) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts given");
        if (autoregressive) for (int[] p : prompts) for (int id : p) if (id == settings.maskId()) {
            if (config().canvasMaskId() != config().maskTokenId())
                throw new IllegalArgumentException("the prompt holds token " + id + ", the placeholder this causal LM's sampler"
                        + " writes into positions to generate (its config.json names no mask_token_id); set mask_token_id to an"
                        + " id that prompts never use");
            requireBidirectional("fill masked spans inside a text");
        }
        long t0 = System.nanoTime();
        SampleResult r = new Sampler(samplerView, settings).generate(prompts, listener);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        List<Generation> out = new ArrayList<>(prompts.size());
        for (int j = 0; j < prompts.size(); j++) {
            int[] shown = wholeCanvas ? r.sequences()[j] : r.generated(j);
            String text = tokenizer.map(t -> t.decode(shown, true)).orElse("");
            out.add(new Generation(text, shown, r.sequences()[j], r.forwardPasses(), r.steps(), took, r.cacheBytes()));
        }
        return out;
    }

    /**
     * Answers the last user message of {@code conversation}, rendered with the model's chat template; the answer's
     * text is cut at the end of the turn. Steps default to one per generated token.
     */
    public Generation chat(List<ChatMessage> conversation, SamplerConfig.Builder settings, StepListener listener) {
        int[] prompt = requireTokenizer().encode(chatTemplate.prompt(conversation), false);
        Generation g = generate(prompt, settings, listener);
        int end = g.tokens().length;
        for (int i = 0; i < g.tokens().length; i++) {
            int t = g.tokens()[i];
            if (t == config().eosTokenId() || t == eotId()) { end = i; break; }
        }
        int[] answer = java.util.Arrays.copyOf(g.tokens(), end);
        return new Generation(requireTokenizer().decode(answer, true), answer, g.canvas(), g.forwardPasses(), g.steps(), g.elapsed(), g.cacheBytes());
    }

    /**
     * Fills the {@code [MASK]} / {@code [MASK:n]} spans of {@code text} (and {@code settings}' gen length of masks
     * appended after it); the result's text is the whole filled text. Steps default to one per masked token.
     */
    public Generation infill(String text, SamplerConfig.Builder settings, StepListener listener) {
        return infill(Infill.encode(text, requireTokenizer(), config().maskTokenId()), settings, listener);
    }

    /** Fills the mask ids of {@code canvas} (plus the gen length appended); steps default to one per mask. */
    public Generation infill(int[] canvas, SamplerConfig.Builder settings, StepListener listener) {
        requireBidirectional("fill masked spans inside a text");
        int gen = settings.genLengthOr(0);
        int masks = Infill.countMasks(canvas, config().maskTokenId()) + gen;
        if (masks == 0) throw new IllegalArgumentException("nothing to fill: the text has no [MASK] spans and the gen length is 0");
        settings.genLengthIfUnset(0).stepsIfUnset(masks).blockLengthIfUnset(gen > 0 ? gen : 1);
        return run(List.of(canvas), build(settings), listener, true).getFirst();
    }

    /**
     * LLaDA's Monte Carlo estimate of log p(answer | prompt) with {@code mcNum} draws in batches of {@code batch}
     * (a lower bound; exact for a one-token answer); {@code cfgScale} 0 = no guidance. An autoregressive model's is
     * exact, from one causal forward (the draws and the guidance do not apply).
     */
    public double score(int[] prompt, int[] answer, int mcNum, int batch, double cfgScale, long seed) {
        if (autoregressive) return NextTokenNll.logLikelihood(model, prompt, answer);
        return Likelihood.logLikelihood(model, prompt, answer, mcNum, batch, cfgScale, seed);
    }

    /** {@link #score(int[], int[], int, int, double, long)} of texts, split as lm-evaluation-harness does. */
    public double score(String prompt, String answer, int mcNum, int batch, double cfgScale, long seed) {
        int[][] pair = Likelihood.encodePair(requireTokenizer(), prompt, answer);
        return score(pair[0], pair[1], mcNum, batch, cfgScale, seed);
    }

    /** The ELBO of {@code sequences} per token, the same estimator as training's validation and {@code eval}. */
    public NllEstimate elbo(List<ScoredSequence> sequences, int grid, long seed) {
        if (autoregressive) throw new IllegalStateException(describe() + " has no ELBO: use nextTokenNll, its exact NLL");
        return Elbo.estimate(model, sequences, grid, 8, seed);
    }

    /** An autoregressive model's exact NLL of {@code sequences} per predicted token (training's validation and {@code eval}'s). */
    public NllEstimate nextTokenNll(List<ScoredSequence> sequences) {
        if (!autoregressive) throw new IllegalStateException(describe() + " is not autoregressive: use elbo, its bound on the NLL");
        return NextTokenNll.estimate(model, sequences);
    }

    /** Refuses {@code task} (e.g. infilling) for an autoregressive model, which sees no text after the position it writes. */
    public void requireBidirectional(String task) {
        if (autoregressive) throw new IllegalArgumentException(describe() + " writes left to right and cannot " + task + ": use a diffusion model");
    }

    private String describe() {
        String name = directory == null ? "this model" : directory.toString();
        if (!autoregressive) return name + " (a diffusion model)";
        return name + (directory == null ? " (an autoregressive model)" : " (an autoregressive model: its " + TrainerState.FILE + " names the 'ar' objective)");
    }

    private SamplerConfig build(SamplerConfig.Builder settings) {
        if (settings.lacksSpecialIds()) settings.specialIds(config().canvasMaskId(), config().eosTokenId(), eotId());
        settings.defaultsIfUnset(generationDefaults());
        return settings.build();
    }

    private Tokenizer requireTokenizer() {
        return tokenizer.orElseThrow(() -> new IllegalStateException("this model has no tokenizer"
                + (directory == null ? "" : " (" + directory.resolve("tokenizer.json") + " is missing)") + "; pass token ids instead"));
    }

    /** Serialises forward passes between threads: the kernels already use every core, and scratch space is per model. */
    private static final class TurnTaking implements CachingDenoiser {
        private final Denoiser inner;
        private final ReentrantLock lock = new ReentrantLock(true);

        TurnTaking(Denoiser inner) { this.inner = inner; }

        @Override public ModelConfig config() { return inner.config(); }

        @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
            lock.lock();
            try {
                return inner.logits(ids, batch, seqLen, attend, rows);
            } finally {
                lock.unlock();
            }
        }

        @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows,
                                        org.unmask.model.kernels.AttentionPattern pattern) {
            lock.lock();
            try {
                return inner.logits(ids, batch, seqLen, attend, rows, pattern);
            } finally {
                lock.unlock();
            }
        }

        @Override public boolean caching() { return inner instanceof CachingDenoiser c && c.caching(); }

        @Override public KvCache newCache(int seqLen) { return ((CachingDenoiser) inner).newCache(seqLen); }

        @Override public float[] logits(KvCache cache, int[] slots, int[] ids, int batch, int seqLen, boolean[] attend,
                                        org.unmask.model.kernels.AttentionPattern pattern, int[] positions, int[] rows) {
            lock.lock();
            try {
                return ((CachingDenoiser) inner).logits(cache, slots, ids, batch, seqLen, attend, pattern, positions, rows);
            } finally {
                lock.unlock();
            }
        }
    }
}
