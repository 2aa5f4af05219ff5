package org.unmask.serve;

import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.StepEvent;
import org.unmask.diffusion.StepListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deterministic test engine: the answer is a fixed text followed by EoT and EOS padding, revealed over the LLaDA
 * schedule (semi-autoregressive blocks, get_num_transfer_tokens per block, positions inside a block in a seeded
 * order) whatever the other settings say. Supports real batching: all rows of a batch advance together, one
 * "forward pass" per step. Its step events are the sampler's kind, each request's row numbered 0.
 */
class FakeEngine implements GenerationEngine {

    final String answer;
    final Vocabulary vocab = CharTokenizer.vocabulary();
    final int maxBatch;
    volatile long stepDelayMs;
    /** When set, each batch waits for one permit before its first step (tests hold the worker with it). */
    volatile Semaphore gate;
    final AtomicInteger forwardPasses = new AtomicInteger();
    final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    final List<Integer> cancelledAtStep = new CopyOnWriteArrayList<>();
    final AtomicInteger completed = new AtomicInteger();
    final List<int[]> prompts = new CopyOnWriteArrayList<>();

    FakeEngine(String answer, int maxBatch, long stepDelayMs) {
        this.answer = answer;
        this.maxBatch = maxBatch;
        this.stepDelayMs = stepDelayMs;
    }

    @Override public String modelId() { return "fake-llada"; }
    @Override public Vocabulary vocabulary() { return vocab; }
    @Override public int maxGenLength() { return 256; }
    @Override public int maxSequenceLength() { return 1024; }
    @Override public int maxBatchSize() { return maxBatch; }

    @Override public GenerationResult generate(GenerationRequest r, StepListener onStep, CancellationToken c) {
        return generateBatch(List.of(new GenerationJob(r, onStep, c))).getFirst();
    }

    /** The canvas the fake model converges to for a generation length. */
    int[] target(int genLength) {
        int[] text = vocab.tokenizer().encode(answer, false);
        int[] t = new int[genLength];
        Arrays.fill(t, CharTokenizer.EOS);
        System.arraycopy(text, 0, t, 0, Math.min(text.length, genLength));
        if (text.length < genLength) t[text.length] = CharTokenizer.EOT;
        return t;
    }

    /** LLaDA's get_num_transfer_tokens: masks / steps each, the remainder to the earliest steps. */
    static int[] transferCounts(int masks, int steps) {
        int[] n = new int[steps];
        for (int i = 0; i < steps; i++) n[i] = masks / steps + (i < masks % steps ? 1 : 0);
        return n;
    }

    @Override public List<GenerationResult> generateBatch(List<GenerationJob> jobs) {
        Semaphore g = gate;
        if (g != null) g.acquireUninterruptibly();
        batchSizes.add(jobs.size());
        for (GenerationJob j : jobs) prompts.add(j.request().promptIds().clone());
        SamplerConfig shape = jobs.getFirst().request().config();
        for (GenerationJob j : jobs.subList(1, jobs.size()))
            if (!j.request().batchesWith(jobs.getFirst().request()))
                throw new IllegalArgumentException("requests that do not batch together in one batch");
        int gen = shape.genLength(), block = shape.blockLength(), spb = shape.stepsPerBlock();
        int rows = jobs.size();
        int[][] canvas = new int[rows][gen];
        int[][] order = new int[rows][];
        int[] target = target(gen);
        boolean[] active = new boolean[rows];
        int[] stepsRun = new int[rows];
        for (int b = 0; b < rows; b++) {
            Arrays.fill(canvas[b], vocab.maskId());
            active[b] = true;
            order[b] = permutation(gen, block, jobs.get(b).request().config().seed());
        }
        int step = 0;
        for (int blk = 0; blk < gen / block; blk++) {
            int[] counts = transferCounts(block, spb);
            int cursor = 0;
            for (int i = 0; i < spb; i++, step++) {
                for (int b = 0; b < rows; b++) {
                    if (active[b] && jobs.get(b).token().isCancelled()) {
                        active[b] = false;
                        cancelledAtStep.add(step);
                    }
                }
                if (!anyActive(active)) break;
                forwardPasses.incrementAndGet();
                sleep();
                for (int b = 0; b < rows; b++) {
                    if (!active[b]) continue;
                    int[] prompt = jobs.get(b).request().promptIds();
                    int[] positions = new int[counts[i]], tokens = new int[counts[i]];
                    for (int k = 0; k < counts[i]; k++) {
                        int pos = blk * block + order[b][blk * block + cursor + k];
                        canvas[b][pos] = target[pos];
                        positions[k] = prompt.length + pos;
                        tokens[k] = target[pos];
                    }
                    stepsRun[b] = step + 1;
                    int[] whole = Arrays.copyOf(prompt, prompt.length + gen);
                    System.arraycopy(canvas[b], 0, whole, prompt.length, gen);
                    StepEvent.RowStep row = new StepEvent.RowStep(0, positions, tokens, new double[counts[i]],
                            new int[0], new int[0], whole);
                    jobs.get(b).listener().onStep(new StepEvent(step, blk, List.of(row)));
                }
                cursor += counts[i];
            }
        }
        List<GenerationResult> out = new ArrayList<>();
        for (int b = 0; b < rows; b++) {
            boolean cancelled = !active[b];
            if (!cancelled) completed.incrementAndGet();
            out.add(new GenerationResult(canvas[b], cancelled, stepsRun[b]));
        }
        return out;
    }

    private static boolean anyActive(boolean[] a) {
        for (boolean x : a) if (x) return true;
        return false;
    }

    /** Offsets 0..block-1 of every block in a seeded order. */
    private static int[] permutation(int gen, int block, long seed) {
        Random rnd = new Random(seed);
        int[] p = new int[gen];
        for (int blk = 0; blk < gen / block; blk++) {
            int[] o = new int[block];
            for (int i = 0; i < block; i++) o[i] = i;
            for (int i = block - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = o[i]; o[i] = o[j]; o[j] = t;
            }
            System.arraycopy(o, 0, p, blk * block, block);
        }
        return p;
    }

    private void sleep() {
        long d = stepDelayMs;
        if (d <= 0) return;
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
