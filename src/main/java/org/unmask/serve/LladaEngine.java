package org.unmask.serve;

import org.unmask.api.Generation;
import org.unmask.api.UnmaskModel;
import org.unmask.text.ChatTemplate;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.StepEvent;
import org.unmask.diffusion.StepListener;
import org.unmask.model.GenerationDefaults;
import org.unmask.model.ModelConfig;
import org.unmask.text.SpecialTokens;
import org.unmask.text.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The serving engine over a real model: each request (or batch of requests) runs through the library API
 * ({@link UnmaskModel#run}) with the request's own {@link SamplerConfig}, so every sampling setting the sampler knows (LLaDA,
 * Dream's algorithms, Fast-dLLM, ReMDM) serves. Requests share one left-padded sampler run only when they
 * {@link GenerationRequest#batchesWith batch with} each other (settings equal apart from the seed, and
 * deterministic); any other request runs alone, so that its own seed decides its draws. Cancellation: the sampler
 * has no token of its own, so the step listener ends the run once every row of it is cancelled; a cancelled row in
 * a batch with live rows keeps being computed and is reported cancelled.
 */
public final class LladaEngine implements GenerationEngine {

    private final String modelId;
    private final UnmaskModel model;
    private final Vocabulary vocab;
    private final int maxBatch;

    /**
     * An engine named {@code modelId} over a model of the library API (which must have a tokenizer), batching up to
     * {@code maxBatch} rows.
     */
    public LladaEngine(String modelId, UnmaskModel model, int maxBatch) {
        ModelConfig c = model.config();
        Tokenizer tokenizer = model.tokenizer().orElseThrow(() -> new IllegalArgumentException(
                modelId + ": no tokenizer.json (serving and chat need the model's tokenizer)"));
        int bos = c.bosTokenIdOrNull() != null ? c.bosTokenIdOrNull() : tokenizer.tokenId(SpecialTokens.BOS).orElse(-1);
        this.modelId = modelId;
        this.model = model;
        this.vocab = new Vocabulary(tokenizer, c.canvasMaskId(), bos, c.eosTokenId(),
                model.eotId());
        if (maxBatch < 1) throw new IllegalArgumentException("max batch must be at least 1: " + maxBatch);
        this.maxBatch = maxBatch;
    }

    @Override public String modelId() { return modelId; }

    @Override public ChatTemplate chatTemplate() { return model.chatTemplate(); }
    @Override public Vocabulary vocabulary() { return vocab; }
    @Override public GenerationDefaults generationDefaults() { return model.generationDefaults(); }
    @Override public int maxGenLength() { return model.config().maxSequenceLength() - 1; }
    @Override public int maxSequenceLength() { return model.config().maxSequenceLength(); }
    @Override public int maxBatchSize() { return maxBatch; }

    @Override public GenerationResult generate(GenerationRequest r, StepListener onStep, CancellationToken c) {
        return generateBatch(List.of(new GenerationJob(r, onStep, c))).getFirst();
    }

    /** Splits the jobs into sampler runs by the batching rule (each joins the first run whose head it batches with). */
    @Override public List<GenerationResult> generateBatch(List<GenerationJob> jobs) {
        List<List<Integer>> runs = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            GenerationRequest r = jobs.get(i).request();
            checkSpecialIds(r.config());
            List<Integer> joined = null;
            for (List<Integer> run : runs)
                if (run.size() < maxBatch && jobs.get(run.getFirst()).request().batchesWith(r)) { joined = run; break; }
            if (joined == null) runs.add(joined = new ArrayList<>());
            joined.add(i);
        }
        GenerationResult[] out = new GenerationResult[jobs.size()];
        for (List<Integer> run : runs) {
            List<GenerationResult> rs = run(run.stream().map(jobs::get).toList());
            for (int k = 0; k < run.size(); k++) out[run.get(k)] = rs.get(k);
        }
        return Arrays.asList(out);
    }

    /** A request built for another vocabulary would decode garbage; refuse it. */
    private void checkSpecialIds(SamplerConfig c) {
        if (c.maskId() != vocab.maskId() || c.eosId() != vocab.eosId() || c.eotId() != vocab.eotId())
            throw new IllegalArgumentException("the request's mask/EOS/EoT ids (" + c.maskId() + ", " + c.eosId() + ", "
                    + c.eotId() + ") are not this model's (" + vocab.maskId() + ", " + vocab.eosId() + ", " + vocab.eotId() + ")");
    }

    /** Thrown from the step listener to end a run whose rows are all cancelled. */
    private static final class AllCancelled extends RuntimeException {
        AllCancelled() { super(null, null, false, false); }
    }

    private List<GenerationResult> run(List<GenerationJob> jobs) {
        int rows = jobs.size();
        SamplerConfig cfg = jobs.getFirst().request().config();
        int[][] canvas = new int[rows][cfg.genLength()];
        int[] stepsRun = new int[rows];
        for (int[] c : canvas) Arrays.fill(c, vocab.maskId());
        int[] promptLen = jobs.stream().mapToInt(j -> j.request().promptIds().length).toArray();
        boolean allCancelledAtStart = jobs.stream().allMatch(j -> j.token().isCancelled());
        if (!allCancelledAtStart) {
            StepListener listener = e -> {
                for (StepEvent.RowStep rs : e.rows()) {
                    int b = rs.row();
                    if (jobs.get(b).token().isCancelled()) continue;
                    System.arraycopy(rs.canvas(), promptLen[b], canvas[b], 0, canvas[b].length);
                    stepsRun[b] = e.step() + 1;
                    // each request sees itself as row 0 of its own run, whatever batch it shares
                    StepEvent.RowStep own = new StepEvent.RowStep(0, rs.positions(), rs.tokens(), rs.confidences(),
                            rs.remasked(), rs.filled(), rs.canvas());
                    jobs.get(b).listener().onStep(new StepEvent(e.step(), e.block(), List.of(own)));
                }
                if (jobs.stream().allMatch(j -> j.token().isCancelled())) throw new AllCancelled();
            };
            try {
                List<Generation> r = model.run(jobs.stream().map(j -> j.request().promptIds()).toList(), cfg, listener, false);
                for (int b = 0; b < rows; b++)
                    if (!jobs.get(b).token().isCancelled()) canvas[b] = r.get(b).tokens();
            } catch (AllCancelled stopped) {
                // every row was cancelled: the canvases hold their last steps
            }
        }
        List<GenerationResult> out = new ArrayList<>(rows);
        for (int b = 0; b < rows; b++) out.add(new GenerationResult(canvas[b], jobs.get(b).token().isCancelled(), stepsRun[b]));
        return out;
    }
}
