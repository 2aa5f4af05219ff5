package org.unmask.study;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.api.Generation;
import org.unmask.api.UnmaskModel;
import org.unmask.diffusion.CacheMode;
import org.unmask.diffusion.Remasking;
import org.unmask.diffusion.RemdmConfig;
import org.unmask.diffusion.SampleJudge;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.ScoredSequence;
import org.unmask.model.Denoiser;
import org.unmask.train.Budget;
import org.unmask.train.ObjectiveKind;
import org.unmask.views.LossCurveSvg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Steps against quality: for one answer length, the judged quality (perplexity under an autoregressive judge, with
 * the unigram entropy that exposes repetition; {@link SampleJudge}) and the time of samples against the number of
 * forward passes, for low-confidence and random remasking, threshold (Fast-dLLM) decoding and ReMDM re-masking.
 */
public final class StepsStudy implements Study {
    @Override public String name() { return "steps"; }

    /** One sampler setting: how it is named, grouped and built. */
    record Setting(String key, String family, int steps, double threshold, Remasking remasking, RemdmConfig remdm) {}

    @Override public void run(Harness h) throws IOException {
        Scale s = h.scale();
        Path modelDir = h.settings().model();
        if (modelDir == null || !Files.isDirectory(modelDir))
            throw new IOException(modelDir + ": no such model directory (steps needs --model DIR, a diffusion model)");
        UnmaskModel model = UnmaskModel.load(modelDir);
        int vocab = model.config().vocabSize();
        if (h.data().tokenizer().vocabSize() != vocab)
            throw new IllegalArgumentException("--tokenizer " + h.settings().tokenizer() + " has " + h.data().tokenizer().vocabSize()
                    + " tokens, --model " + modelDir + " " + vocab + ": pass the model's tokenizer.json as --tokenizer");
        Denoiser judge = h.settings().judge() != null ? loadJudge(h.settings().judge(), vocab) : trainJudge(h);

        int gen = s.pick(8, 32, 64), block = gen / 4, count = s.pick(2, 8, 16), promptLen = s.pick(4, 16, 16);
        List<ScoredSequence> windows = h.data().valid(count, promptLen + gen);
        List<int[]> prompts = new ArrayList<>(), real = new ArrayList<>();
        for (ScoredSequence w : windows) {
            int[] p = new int[promptLen + 1];
            p[0] = model.config().bosTokenIdOrNull() != null ? model.config().bosTokenIdOrNull() : model.config().eosTokenId();
            System.arraycopy(w.tokens(), 0, p, 1, promptLen);
            prompts.add(p);
            real.add(Arrays.copyOfRange(w.tokens(), promptLen, promptLen + gen));
        }
        SampleJudge.Verdict reference = SampleJudge.judge(judge, prompts, real);

        List<Setting> settings = new ArrayList<>();
        int[] steps = s == Scale.QUICK ? new int[] {4, 8} : new int[] {gen / 8, gen / 4, gen / 2, gen};
        for (int n : steps) settings.add(new Setting("low_confidence-" + n, "low-confidence remasking", n, Double.NaN, Remasking.LOW_CONFIDENCE, null));
        for (int n : steps) settings.add(new Setting("random-" + n, "random remasking", n, Double.NaN, Remasking.RANDOM, null));
        // a small model is rarely confident: Fast-dLLM's 0.9 saves no pass on the shipped one, so the low thresholds matter
        for (double t : s == Scale.QUICK ? new double[] {0.3} : new double[] {0.1, 0.2, 0.3, 0.5, 0.9})
            settings.add(new Setting("threshold-" + t, "threshold decoding", gen, t, Remasking.LOW_CONFIDENCE, null));
        for (int n : s == Scale.QUICK ? new int[] {8} : new int[] {gen / 2, gen})
            settings.add(new Setting("remdm-" + n, "ReMDM re-masking (cap, eta 0.02)", n, Double.NaN, Remasking.LOW_CONFIDENCE,
                    new RemdmConfig(RemdmConfig.Schedule.CAP, RemdmConfig.DEFAULT_ETA, RemdmConfig.DEFAULT_WINDOW)));

        Map<String, List<ObjectNode>> bySetting = new LinkedHashMap<>();
        for (Setting st : settings)
            for (long seed : h.seeds()) {
                String key = "sample:" + st.key() + ":s" + seed;
                ObjectNode row = h.ledger().get(key).orElse(null);
                if (row == null) {
                    row = measure(model, judge, st, prompts, gen, block, seed);
                    h.ledger().put(key, row);
                    h.log("%s seed %d: %.1f forward passes per sample, judge perplexity %.1f, unigram entropy %.2f bits, %.3f s per sample",
                            st.key(), seed, row.get("forward_passes").asDouble(), row.get("judge_perplexity").asDouble(),
                            row.get("unigram_entropy_bits").asDouble(), row.get("seconds_per_sample").asDouble());
                }
                bySetting.computeIfAbsent(st.key(), k -> new ArrayList<>()).add(row);
            }

        Table t = new Table("setting", "forward passes", "judge perplexity", "unigram entropy (bits)", "seconds per sample");
        t.row("real text (the validation continuations)", "", String.format(Locale.ROOT, "%.1f", reference.perplexity()),
                String.format(Locale.ROOT, "%.2f", reference.unigramEntropyBits()), "");
        Map<String, List<LossCurveSvg.Point>> ppl = new LinkedHashMap<>(), ent = new LinkedHashMap<>(), time = new LinkedHashMap<>();
        for (Setting st : settings) {
            List<ObjectNode> rows = bySetting.get(st.key());
            Spread fp = spread(rows, "forward_passes"), p = spread(rows, "judge_perplexity"), e = spread(rows, "unigram_entropy_bits"),
                    sec = spread(rows, "seconds_per_sample");
            t.row(st.key(), fp.format(1), p.format(1), e.format(2), sec.format(3));
            ppl.computeIfAbsent(st.family(), k -> new ArrayList<>()).add(new LossCurveSvg.Point(fp.mean(), p.mean()));
            ent.computeIfAbsent(st.family(), k -> new ArrayList<>()).add(new LossCurveSvg.Point(fp.mean(), e.mean()));
            time.computeIfAbsent(st.family(), k -> new ArrayList<>()).add(new LossCurveSvg.Point(fp.mean(), sec.mean()));
        }
        String x = "forward passes per sample (" + gen + " tokens)";
        h.plot("perplexity.svg", "judged perplexity against forward passes", x, "judge perplexity (lower: more fluent)", series(ppl));
        h.plot("entropy.svg", "unigram entropy against forward passes", x, "unigram entropy, bits (real text: "
                + String.format(Locale.ROOT, "%.2f", reference.unigramEntropyBits()) + ")", series(ent));
        h.plot("time.svg", "time against forward passes", x, "seconds per sample", series(time));
        h.summary("# Study: steps against quality (" + s.spelling() + ")\n\n"
                + String.format(Locale.ROOT, "Model %s; %d samples of %d tokens per setting and seed (blocks of %d, temperature %.1f, "
                        + "no KV cache), each after a %d-token prompt from the validation split; judge %s; seeds %d.%n%n",
                modelDir, count, gen, block, model.generationDefaults().temperature(), promptLen,
                h.settings().judge() != null ? h.settings().judge().toString() : "the AR arm trained by this study (arms/judge-ar)",
                h.seeds().length)
                + t.markdown() + "\nPlots: [perplexity](perplexity.svg), [entropy](entropy.svg), [time](time.svg).\n");
    }

    private static List<LossCurveSvg.Series> series(Map<String, List<LossCurveSvg.Point>> byFamily) {
        List<LossCurveSvg.Series> out = new ArrayList<>();
        int i = 0;
        for (var e : byFamily.entrySet()) {
            List<LossCurveSvg.Point> pts = new ArrayList<>(e.getValue());
            pts.sort(java.util.Comparator.comparingDouble(LossCurveSvg.Point::step));
            out.add(Harness.series(e.getKey(), i++, pts));
        }
        return out;
    }

    private static Spread spread(List<ObjectNode> rows, String field) {
        return Spread.of(rows.stream().mapToDouble(r -> r.get(field).asDouble()).toArray());
    }

    /**
     * Generates the samples of one setting and seed one at a time (a batch runs until its slowest row is done, which
     * would hide what threshold decoding saves per sample) and judges them.
     */
    static ObjectNode measure(UnmaskModel model, Denoiser judge, Setting st, List<int[]> prompts, int gen, int block, long seed) {
        List<int[]> samples = new ArrayList<>();
        long passes = 0;
        long t0 = System.nanoTime();
        for (int j = 0; j < prompts.size(); j++) {
            SamplerConfig.Builder b = model.sampling().genLength(gen).blockLength(block).steps(st.steps()).remasking(st.remasking())
                    .cache(CacheMode.NONE).seed(seed * 1000 + j);
            if (!Double.isNaN(st.threshold())) b.threshold(st.threshold());
            if (st.remdm() != null) b.remdm(st.remdm());
            Generation g = model.generate(prompts.get(j), b, null);
            samples.add(g.tokens());
            passes += g.forwardPasses();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        SampleJudge.Verdict v = SampleJudge.judge(judge, prompts, samples);
        ObjectNode row = JsonNodeFactory.instance.objectNode();
        row.put("setting", st.key());
        row.put("family", st.family());
        row.put("seed", seed);
        row.put("steps", st.steps());
        if (!Double.isNaN(st.threshold())) row.put("threshold", st.threshold());
        row.put("gen_length", gen);
        row.put("block_length", block);
        row.put("samples", samples.size());
        row.put("forward_passes", (double) passes / samples.size());
        row.put("judge_nll_bits_per_token", v.nllBitsPerToken());
        row.put("judge_perplexity", v.perplexity());
        row.put("unigram_entropy_bits", v.unigramEntropyBits());
        row.put("distinct_tokens", v.distinctTokens());
        row.put("seconds_per_sample", seconds / samples.size());
        return row;
    }

    private static Denoiser loadJudge(Path dir, int vocab) throws IOException {
        UnmaskModel j = UnmaskModel.load(dir);
        if (j.config().vocabSize() != vocab)
            throw new IllegalArgumentException("--judge " + dir + " has a vocabulary of " + j.config().vocabSize()
                    + " tokens, the model " + vocab + ": the judge must share the model's tokenizer");
        return j.denoiser();
    }

    /** The AR judge the study trains when none is given (an arm like any other: resumed, or skipped once finished). */
    private static Denoiser trainJudge(Harness h) throws IOException {
        Scale s = h.scale();
        CorpusArms arms = new CorpusArms(h, s.pick(32, 128, 128), 8, s.pick(4, 32, 32), 2e-3);
        Shapes.Shape shape = s.pick(new Shapes.Shape(32, 1, 2, 88), new Shapes.Shape(128, 3, 4, 344), new Shapes.Shape(192, 4, 4, 512));
        long steps = s.pick(30, 1500, 3000);
        Arm arm = arms.arm("judge-ar", shape, ObjectiveKind.AR, 0, Budget.steps(steps), Math.max(1, steps / 5), s.pick(8_192, 1_000_000, 2_000_000));
        ArmResult r = h.train(arm);
        h.log("judge: AR %s, held-out NLL %.4f bits/token", shape.label(), r.finalBits());
        return h.load(arm);
    }
}
