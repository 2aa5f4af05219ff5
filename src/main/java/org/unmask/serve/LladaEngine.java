package org.unmask.serve;

import org.unmask.diffusion.SampleResult;
import org.unmask.diffusion.Sampler;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.model.Denoiser;
import org.unmask.model.ModelConfig;
import org.unmask.text.SpecialTokens;
import org.unmask.text.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The serving engine over a real model: each request (or batch of requests) runs through the diffusion
 * {@link Sampler}. Requests of one shape and the same sampling settings run as one left-padded batch when they are
 * deterministic (temperature 0, low-confidence remasking); a sampled request runs alone so that its own seed
 * decides its draws (the sampler seeds row j with seed + j). Cancellation: the sampler has no token of its own, so
 * the step listener ends the run once every row of it is cancelled; a cancelled row in a batch with live rows keeps
 * being computed and is reported cancelled.
 */
public final class LladaEngine implements GenerationEngine {

    private final String modelId;
    private final Denoiser model;
    private final Vocabulary vocab;
    private final int maxBatch;

    /** An engine named {@code modelId} over {@code model} and its tokenizer, batching up to {@code maxBatch} rows. */
    public LladaEngine(String modelId, Denoiser model, Tokenizer tokenizer, int maxBatch) {
        ModelConfig c = model.config();
        int bos = c.bosTokenIdOrNull() != null ? c.bosTokenIdOrNull() : tokenizer.tokenId(SpecialTokens.BOS).orElse(-1);
        this.modelId = modelId;
        this.model = model;
        this.vocab = new Vocabulary(tokenizer, c.maskTokenId(), bos, c.eosTokenId(),
                tokenizer.tokenId(SpecialTokens.END_OF_TURN).orElse(-1));
        if (maxBatch < 1) throw new IllegalArgumentException("max batch must be at least 1: " + maxBatch);
        this.maxBatch = maxBatch;
    }

    @Override public String modelId() { return modelId; }
    @Override public Vocabulary vocabulary() { return vocab; }
    @Override public int maxGenLength() { return model.config().maxSequenceLength() - 1; }
    @Override public int maxSequenceLength() { return model.config().maxSequenceLength(); }
    @Override public int maxBatchSize() { return maxBatch; }

    @Override public GenerationResult generate(GenerationRequest r, StepListener onStep, CancellationToken c) {
        return generateBatch(List.of(new GenerationJob(r, onStep, c))).getFirst();
    }

    /** The sampler settings of a request. */
    SamplerConfig samplerConfig(GenerationRequest r) {
        return SamplerConfig.builder(r.genLength(), r.steps(), r.blockLength())
                .remasking(r.remasking() == Remasking.RANDOM ? org.unmask.diffusion.Remasking.RANDOM
                        : org.unmask.diffusion.Remasking.LOW_CONFIDENCE)
                .temperature(r.temperature())
                .cfgScale(r.cfgScale())
                .threshold(r.threshold() > 0 ? r.threshold() : Double.NaN)
                .earlyStop(true)
                .seed(r.seed())
                .specialIds(vocab.maskId(), vocab.eosId(), vocab.eotId())
                .build();
    }

    /** Requests that may share one sampler run: same settings, and no per-request randomness. */
    private static Object batchKey(GenerationJob j, int index) {
        GenerationRequest r = j.request();
        boolean deterministic = r.temperature() == 0 && r.remasking() == Remasking.LOW_CONFIDENCE;
        if (!deterministic) return index;   // alone: its own seed decides its draws
        return List.of(r.genLength(), r.steps(), r.blockLength(), r.cfgScale(), r.threshold());
    }

    @Override public List<GenerationResult> generateBatch(List<GenerationJob> jobs) {
        Map<Object, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < jobs.size(); i++) groups.computeIfAbsent(batchKey(jobs.get(i), i), k -> new ArrayList<>()).add(i);
        GenerationResult[] out = new GenerationResult[jobs.size()];
        for (List<Integer> g : groups.values()) {
            List<GenerationJob> sub = g.stream().map(jobs::get).toList();
            List<GenerationResult> rs = run(sub);
            for (int k = 0; k < g.size(); k++) out[g.get(k)] = rs.get(k);
        }
        return Arrays.asList(out);
    }

    /** Thrown from the step listener to end a run whose rows are all cancelled. */
    private static final class AllCancelled extends RuntimeException {
        AllCancelled() { super(null, null, false, false); }
    }

    private List<GenerationResult> run(List<GenerationJob> jobs) {
        int rows = jobs.size();
        GenerationRequest first = jobs.getFirst().request();
        int gen = first.genLength();
        int[][] canvas = new int[rows][gen];
        int[] stepsRun = new int[rows];
        for (int[] c : canvas) Arrays.fill(c, vocab.maskId());
        int[] promptLen = jobs.stream().mapToInt(j -> j.request().promptIds().length).toArray();
        boolean allCancelledAtStart = jobs.stream().allMatch(j -> j.token().isCancelled());
        if (!allCancelledAtStart) {
            Sampler sampler = new Sampler(model, samplerConfig(first));
            org.unmask.diffusion.StepListener listener = e -> {
                for (org.unmask.diffusion.StepEvent.RowStep rs : e.rows()) {
                    int b = rs.row();
                    if (jobs.get(b).token().isCancelled()) continue;
                    System.arraycopy(rs.canvas(), promptLen[b], canvas[b], 0, gen);
                    int[] revealed = concat(rs.positions(), rs.filled(), promptLen[b]);
                    stepsRun[b] = e.step() + 1;
                    jobs.get(b).listener().onStep(vocab.event(e.step(), first.steps(), canvas[b], revealed));
                }
                if (jobs.stream().allMatch(j -> j.token().isCancelled())) throw new AllCancelled();
            };
            try {
                SampleResult r = sampler.generate(jobs.stream().map(j -> j.request().promptIds()).toList(), listener);
                for (int b = 0; b < rows; b++)
                    if (!jobs.get(b).token().isCancelled()) canvas[b] = r.generated(b);
            } catch (AllCancelled stopped) {
                // every row was cancelled: the canvases hold their last steps
            }
        }
        List<GenerationResult> out = new ArrayList<>(rows);
        for (int b = 0; b < rows; b++) out.add(new GenerationResult(canvas[b], jobs.get(b).token().isCancelled(), stepsRun[b]));
        return out;
    }

    /** Canvas positions (prompt included) of two lists, as positions in the generated region. */
    private static int[] concat(int[] a, int[] b, int offset) {
        int[] out = new int[a.length + b.length];
        int n = 0;
        for (int p : a) if (p >= offset) out[n++] = p - offset;
        for (int p : b) if (p >= offset) out[n++] = p - offset;
        return Arrays.copyOf(out, n);
    }
}
