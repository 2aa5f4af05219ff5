package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.compute.Parallel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The reverse (unmasking) process of a masked diffusion LM, following LLaDA's {@code generate}: the canvas is the
 * prompt followed by {@code genLength} masks, decoded in semi-autoregressive blocks; each step runs the model once
 * (twice the rows with guidance), predicts every masked position before the end of the current block, and commits
 * some of them. Which ones is decided by the block's quota (LLaDA), Dream's timestep schedule, or Fast-dLLM's
 * confidence threshold / factor rule. Prompts of different lengths are left-padded into one batch with a key-padding
 * mask; every row gives the same result as it would alone (row j draws from the random stream seeded seed + j).
 * Only the logit rows of candidate positions are requested from the model (masked-only LM head), and their
 * vocabulary passes run on the {@link Parallel} pool.
 */
public final class Sampler {
    private final Denoiser model;
    private final SamplerConfig cfg;
    private final int vocab;

    /** A sampler for {@code model} with settings {@code cfg}. */
    public Sampler(Denoiser model, SamplerConfig cfg) {
        this.model = model;
        this.cfg = cfg;
        this.vocab = model.config().embeddingSize();
        check(cfg.maskId() < vocab, "mask id " + cfg.maskId() + " is outside the vocabulary (" + vocab + ")");
        check(cfg.eosId() < vocab, "EOS id " + cfg.eosId() + " is outside the vocabulary (" + vocab + ")");
        check(cfg.eotId() < vocab, "EoT id " + cfg.eotId() + " is outside the vocabulary (" + vocab + ")");
    }

    /** The settings. */
    public SamplerConfig config() { return cfg; }

    /** Generates from one prompt. */
    public SampleResult generate(int[] prompt) { return generate(List.of(prompt), null); }

    /** Generates from a batch of prompts (left-padded), reporting each step to {@code listener} (nullable). */
    public SampleResult generate(List<int[]> prompts, StepListener listener) {
        check(!prompts.isEmpty(), "no prompts given");
        return new Run(prompts, listener).run();
    }

    private static void check(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException(msg);
    }

    /** The state of one generation run. */
    private final class Run {
        final int batch, promptEnd, seqLen;
        final int[] x, pad, promptLen;
        final boolean[] attend, generated, settled;
        final double[] psi;
        final SplittableRandom[] rng;
        final StepListener listener;
        final TokenPicker picker = new TokenPicker(cfg, vocab);
        final int mask = cfg.maskId();
        int forwards, steps;

        Run(List<int[]> prompts, StepListener listener) {
            this.listener = listener;
            batch = prompts.size();
            int maxP = 0;
            for (int[] p : prompts) maxP = Math.max(maxP, p.length);
            promptEnd = maxP;
            seqLen = maxP + cfg.genLength();
            int limit = model.config().maxSequenceLength();
            check(seqLen <= limit, "prompt (" + maxP + ") + gen length (" + cfg.genLength() + ") = " + seqLen
                    + " exceeds the model's max_sequence_length " + limit);
            check(seqLen > 0, "empty canvas: no prompt and --gen-length 0");
            x = new int[batch * seqLen];
            pad = new int[batch];
            promptLen = new int[batch];
            generated = new boolean[batch * seqLen];
            settled = new boolean[batch];
            psi = new double[batch * seqLen];
            rng = new SplittableRandom[batch];
            boolean anyPad = false;
            for (int b = 0; b < batch; b++) {
                int[] p = prompts.get(b);
                promptLen[b] = p.length;
                pad[b] = maxP - p.length;
                anyPad |= pad[b] > 0;
                int base = b * seqLen;
                Arrays.fill(x, base, base + pad[b], model.config().padTokenId());
                for (int i = 0; i < p.length; i++) {
                    check(p[i] >= 0 && p[i] < vocab, "prompt " + b + " token " + i + " = " + p[i]
                            + " is outside the vocabulary (0.." + (vocab - 1) + ")");
                    x[base + pad[b] + i] = p[i];
                }
                Arrays.fill(x, base + maxP, base + seqLen, mask);
                for (int t = 0; t < seqLen; t++) generated[base + t] = x[base + t] == mask;
                rng[b] = new SplittableRandom(cfg.seed() + b);
            }
            if (cfg.genLength() == 0) {
                boolean any = false;
                for (boolean g : generated) any |= g;
                check(any, "--gen-length is 0 and the prompt contains no masks: nothing to generate");
            }
            if (anyPad) {
                attend = new boolean[batch * seqLen];
                for (int b = 0; b < batch; b++)
                    for (int t = pad[b]; t < seqLen; t++) attend[b * seqLen + t] = true;
            } else {
                attend = null;
            }
        }

        SampleResult run() {
            int blocks = cfg.blocks(), spb = cfg.stepsPerBlock();
            for (int k = 0; k < blocks; k++) {
                int hi = cfg.genLength() == 0 ? seqLen : promptEnd + (k + 1) * cfg.blockLength();
                if (cfg.parallelDecoding()) parallelBlock(k, hi);
                else if (cfg.remasking().isDream()) dreamBlock(k, hi, spb);
                else lladaBlock(k, hi, spb);
            }
            int[][] out = new int[batch][];
            for (int b = 0; b < batch; b++) out[b] = Arrays.copyOfRange(x, b * seqLen + pad[b], (b + 1) * seqLen);
            return new SampleResult(out, promptLen.clone(), forwards, steps);
        }

        /** Masked positions before {@code hi} in row b (the candidates of a step), as canvas indices. */
        int[] candidates(int b, int hi) {
            int base = b * seqLen, n = 0;
            for (int t = 0; t < hi; t++) if (x[base + t] == mask) n++;
            int[] c = new int[n];
            n = 0;
            for (int t = 0; t < hi; t++) if (x[base + t] == mask) c[n++] = t;
            return c;
        }

        /** LLaDA: a quota per step, fixed at the block's start from the masks before the block end. */
        void lladaBlock(int block, int hi, int spb) {
            int lo = cfg.genLength() == 0 ? 0 : hi - cfg.blockLength();
            RemdmConfig remdm = cfg.remdm();
            boolean loop = remdm != null && remdm.loop();
            int reveal = loop ? spb - remdm.windowSteps(spb) : spb;   // the loop window reveals nothing new
            int[][] quota = new int[batch][];
            int[] masks0 = new int[batch];
            for (int b = 0; b < batch; b++) {
                masks0[b] = candidates(b, hi).length;
                quota[b] = Arrays.copyOf(Schedules.numTransferTokens(masks0[b], reveal), spb);
            }
            int[] done = new int[batch];       // Σ quota[b][j] for j < i
            for (int i = 0; i < spb; i++) {
                if (loop && i >= reveal) { loopStep(block, lo, hi); continue; }
                boolean remdmOn = remdm != null && !loop && i >= remdm.firstActiveStep(spb);
                boolean[] active = new boolean[batch];
                for (int b = 0; b < batch; b++)
                    active[b] = !settled[b] && (!cfg.earlyStop() || quota[b][i] > 0 || (remdmOn && done[b] > 0));
                Forward f = forward(active, hi);
                if (f == null) continue;
                List<StepEvent.RowStep> rows = new ArrayList<>();
                for (int j = 0; j < f.rows.length; j++) {
                    int b = f.rows[j];
                    int[] cand = f.cand[j];
                    int[] remask = new int[0];
                    if (remdmOn && masks0[b] > 0) {
                        int n0 = masks0[b], mt = n0 - done[b], ms = mt - quota[b][i];
                        // α = fraction of the block revealed; σ_max = min(1, (1 − α_s)/α_t)
                        double alphaT = 1 - (double) mt / n0, alphaS = 1 - (double) ms / n0;
                        if (alphaT > 0 && ms > 0) remask = chooseRemask(b, lo, hi, Math.min(1, (1 - alphaS) / alphaT), ms);
                    }
                    int k = quota[b][i] + remask.length;
                    Commit c = k > 0 ? rankAndTake(b, cand, f, j, k) : Commit.EMPTY;
                    apply(b, c);
                    for (int t : remask) { x[b * seqLen + t] = mask; psi[b * seqLen + t] = 0; }
                    rows.add(rowStep(b, c, remask));
                    done[b] += quota[b][i];
                }
                finishStep(block, rows, hi);
            }
        }

        /**
         * ReMDM loop step: re-mask revealed tokens of the (fully revealed) block at rate eta, then run the model and
         * re-predict exactly those positions, so the block stays fully revealed.
         */
        void loopStep(int block, int lo, int hi) {
            boolean[] active = new boolean[batch];
            int[][] remask = new int[batch][];
            for (int b = 0; b < batch; b++) {
                remask[b] = settled[b] ? new int[0] : chooseRemask(b, lo, hi, 1.0, Integer.MAX_VALUE);
                for (int t : remask[b]) { x[b * seqLen + t] = mask; psi[b * seqLen + t] = 0; }
                active[b] = !settled[b] && (!cfg.earlyStop() || remask[b].length > 0);
            }
            Forward f = forward(active, hi);
            if (f == null) return;
            List<StepEvent.RowStep> rows = new ArrayList<>();
            for (int j = 0; j < f.rows.length; j++) {
                int b = f.rows[j];
                Commit c = f.cand[j].length > 0 ? rankAndTake(b, f.cand[j], f, j, f.cand[j].length) : Commit.EMPTY;
                apply(b, c);
                rows.add(rowStep(b, c, remask[b]));
            }
            finishStep(block, rows, hi);
        }

        /** Dream: the count per step from the timesteps linspace(1, eps, spb + 1), or origin's coin flips. */
        void dreamBlock(int block, int hi, int spb) {
            float[] ts = Schedules.dreamTimesteps(spb, cfg.eps());
            for (int i = 0; i < spb; i++) {
                boolean[] active = new boolean[batch];
                for (int b = 0; b < batch; b++)
                    active[b] = !settled[b] && (!cfg.earlyStop() || candidates(b, hi).length > 0);
                Forward f = forward(active, hi);
                if (f == null) continue;
                List<StepEvent.RowStep> rows = new ArrayList<>();
                for (int j = 0; j < f.rows.length; j++) {
                    int b = f.rows[j];
                    int[] cand = f.cand[j];
                    Commit c;
                    if (cfg.remasking() == Remasking.ORIGIN) {
                        c = origin(b, cand, f, j, Schedules.originProbability(ts, i));
                    } else {
                        int n = Schedules.dreamCount(ts, i, (float) cand.length);
                        c = n > 0 ? rankAndTake(b, cand, f, j, n) : Commit.EMPTY;
                    }
                    apply(b, c);
                    rows.add(rowStep(b, c, new int[0]));
                }
                finishStep(block, rows, hi);
            }
        }

        /** Fast-dLLM: repeat steps until the block has no masks; commit by threshold or factor, at least one. */
        void parallelBlock(int block, int hi) {
            while (true) {
                boolean[] active = new boolean[batch];
                boolean any = false;
                for (int b = 0; b < batch; b++) {
                    active[b] = !settled[b] && candidates(b, hi).length > 0;
                    any |= active[b];
                }
                if (!any) return;
                Forward f = forward(active, hi);
                List<StepEvent.RowStep> rows = new ArrayList<>();
                for (int j = 0; j < f.rows.length; j++) {
                    int b = f.rows[j];
                    Commit all = rankAndTake(b, f.cand[j], f, j, f.cand[j].length);
                    int n;
                    if (!Double.isNaN(cfg.threshold())) {
                        n = 1;
                        while (n < all.size() && all.conf[n] >= cfg.threshold()) n++;
                    } else {
                        n = Schedules.factorCount(all.conf, all.size(), cfg.factor());
                    }
                    Commit c = all.prefix(n);
                    apply(b, c);
                    rows.add(rowStep(b, c, new int[0]));
                }
                finishStep(block, rows, hi);
            }
        }

        /** One forward over the active rows, asking only for their candidate rows; null when no row is active. */
        Forward forward(boolean[] active, int hi) {
            int nb = 0;
            for (boolean a : active) if (a) nb++;
            if (nb == 0) return null;
            int[] rowsOf = new int[nb];
            int[][] cand = new int[nb][];
            int[] ids = new int[nb * seqLen];
            boolean[] att = attend == null ? null : new boolean[nb * seqLen];
            int j = 0, total = 0;
            for (int b = 0; b < batch; b++) {
                if (!active[b]) continue;
                rowsOf[j] = b;
                cand[j] = candidates(b, hi);
                total += cand[j].length;
                System.arraycopy(x, b * seqLen, ids, j * seqLen, seqLen);
                if (att != null) System.arraycopy(attend, b * seqLen, att, j * seqLen, seqLen);
                j++;
            }
            int[] flat = new int[total];
            int[] start = new int[nb];
            int q = 0;
            for (j = 0; j < nb; j++) {
                start[j] = q;
                for (int t : cand[j]) flat[q++] = j * seqLen + t;
            }
            float[] logits = Guidance.logits(model, ids, nb, seqLen, att, flat, cfg.cfgScale(), promptEnd, mask);
            if (logits.length != (long) total * vocab)
                throw new IllegalStateException("model returned " + logits.length + " logits for " + total
                        + " rows of " + vocab);
            forwards++;
            return new Forward(rowsOf, cand, start, logits);
        }

        /** Predicts every candidate of row b and keeps the k best by confidence (ties: earlier position first). */
        Commit rankAndTake(int b, int[] cand, Forward f, int j, int k) {
            int n = cand.length;
            int[] tok = new int[n];
            double[] conf = new double[n];
            boolean dream = cfg.remasking().isDream();
            // One random stream per position, split off the row's stream in position order, so the vocabulary
            // passes can run in parallel and still give the same draws.
            SplittableRandom[] streams = new SplittableRandom[n];
            for (int i = 0; i < n; i++) streams[i] = rng[b].split();
            Parallel.forRange(n, Math.max(1, (1 << 18) / vocab), (from, to) -> {
                TokenPicker pk = new TokenPicker(cfg, vocab);
                for (int i = from; i < to; i++) {
                    int off = (f.start[j] + i) * vocab;
                    if (dream) pk.pickDream(f.logits, off, streams[i]); else pk.pickLlada(f.logits, off, streams[i]);
                    tok[i] = pk.token;
                    conf[i] = pk.confidence;
                }
            });
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) order[i] = i;
            double[] key = conf;
            if (dream && cfg.algTemp() > 0) {
                // Sampling n positions without replacement from softmax(conf / algTemp) = top-n of Gumbel-perturbed keys.
                key = new double[n];
                for (int i = 0; i < n; i++) key[i] = conf[i] / cfg.algTemp() - Math.log(-Math.log(rng[b].nextDouble()));
            }
            double[] kk = key;
            Arrays.sort(order, (a, c) -> kk[a] != kk[c] ? Double.compare(kk[c], kk[a]) : Integer.compare(cand[a], cand[c]));
            k = Math.min(k, n);
            Commit c = new Commit(new int[k], new int[k], new double[k]);
            for (int i = 0; i < k; i++) {
                int o = order[i];
                c.pos[i] = cand[o];
                c.tok[i] = tok[o];
                c.conf[i] = conf[o];
            }
            return c;
        }

        /** Dream's origin: each candidate is revealed with probability p, with a token from sample_tokens. */
        Commit origin(int b, int[] cand, Forward f, int j, double p) {
            boolean[] take = new boolean[cand.length];
            int k = 0;
            for (int i = 0; i < cand.length; i++) if (take[i] = rng[b].nextDouble() < p) k++;
            Commit c = new Commit(new int[k], new int[k], new double[k]);
            int q = 0;
            for (int i = 0; i < cand.length; i++) {
                if (!take[i]) continue;
                picker.pickDream(f.logits, (f.start[j] + i) * vocab, rng[b]);
                c.pos[q] = cand[i];
                c.tok[q] = picker.token;
                c.conf[q++] = Double.NaN;
            }
            return c;
        }

        /** ReMDM: which tokens revealed earlier in this block go back to masks at this step (at most limit of them). */
        int[] chooseRemask(int b, int lo, int hi, double sigmaMax, int limit) {
            int base = b * seqLen;
            List<Integer> revealed = new ArrayList<>();
            for (int t = lo; t < hi; t++) if (generated[base + t] && x[base + t] != mask) revealed.add(t);
            int d = revealed.size();
            if (d == 0 || limit <= 0) return new int[0];
            double sigma = cfg.remdm().sigma(sigmaMax);
            double[] prob = new double[d];
            if (cfg.remdm().schedule() == RemdmConfig.Schedule.CONF) {
                double m = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = 0; i < d; i++) m = Math.max(m, -psi[base + revealed.get(i)]);
                for (int i = 0; i < d; i++) sum += Math.exp(-psi[base + revealed.get(i)] - m);
                for (int i = 0; i < d; i++)
                    prob[i] = Math.min(1, sigma * d * Math.exp(-psi[base + revealed.get(i)] - m) / sum);
            } else {
                Arrays.fill(prob, sigma);
            }
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < d; i++) if (rng[b].nextDouble() < prob[i]) out.add(revealed.get(i));
            if (out.size() > limit) {
                // Keep the quota feasible: re-mask only the least confident of those drawn.
                out.sort((p, q) -> Double.compare(psi[base + p], psi[base + q]));
                out = out.subList(0, limit);
            }
            return out.stream().mapToInt(Integer::intValue).sorted().toArray();
        }

        void apply(int b, Commit c) {
            int base = b * seqLen;
            for (int i = 0; i < c.size(); i++) {
                x[base + c.pos[i]] = c.tok[i];
                psi[base + c.pos[i]] = Double.isNaN(c.conf[i]) ? 1 : c.conf[i];
            }
        }

        StepEvent.RowStep rowStep(int b, Commit c, int[] remask) {
            return new StepEvent.RowStep(b, local(b, c.pos), c.tok, c.conf, local(b, remask), new int[0], null);
        }

        int[] local(int b, int[] pos) {
            int[] l = new int[pos.length];
            for (int i = 0; i < pos.length; i++) l[i] = pos[i] - pad[b];
            return l;
        }

        /** Early stop, then the event (with canvases) to the listener. */
        void finishStep(int block, List<StepEvent.RowStep> rows, int hi) {
            List<StepEvent.RowStep> out = new ArrayList<>(rows.size());
            for (StepEvent.RowStep r : rows) {
                int[] filled = cfg.earlyStop() ? settle(r.row()) : new int[0];
                int b = r.row();
                int[] canvas = listener == null ? null : Arrays.copyOfRange(x, b * seqLen + pad[b], (b + 1) * seqLen);
                out.add(new StepEvent.RowStep(b, r.positions(), r.tokens(), r.confidences(), r.remasked(),
                        local(b, filled), canvas));
            }
            if (listener != null) listener.onStep(new StepEvent(steps, block, List.copyOf(out)));
            steps++;
        }

        /**
         * Marks row b settled when its generated region holds a committed EOS with everything before it revealed
         * and everything revealed after it EOS: the remaining masks are filled with EOS and the row costs no more
         * forward passes. Returns the filled canvas positions.
         */
        int[] settle(int b) {
            if (settled[b] || cfg.genLength() == 0) return new int[0];
            int base = b * seqLen, eos = cfg.eosId();
            int firstMask = -1, eosAt = -1;
            for (int t = promptEnd; t < seqLen; t++) {
                int v = x[base + t];
                if (v == mask) { if (firstMask < 0) firstMask = t; continue; }
                if (v == eos) { if (eosAt < 0 && firstMask < 0) eosAt = t; }
                else if (eosAt >= 0) return new int[0];   // a non-EOS token after the EOS: not settled
            }
            if (firstMask < 0) { settled[b] = true; return new int[0]; }
            if (eosAt < 0) return new int[0];
            int n = 0;
            for (int t = eosAt + 1; t < seqLen; t++) if (x[base + t] == mask) n++;
            int[] filled = new int[n];
            n = 0;
            for (int t = eosAt + 1; t < seqLen; t++)
                if (x[base + t] == mask) { x[base + t] = eos; psi[base + t] = 1; filled[n++] = t; }
            settled[b] = true;
            return filled;
        }
    }

    /** Logits of one forward: for each active row, its candidate positions and where their logit rows start. */
    private record Forward(int[] rows, int[][] cand, int[] start, float[] logits) {}

    /** Positions, tokens and confidences chosen in one step, in decreasing order of confidence. */
    private record Commit(int[] pos, int[] tok, double[] conf) {
        static final Commit EMPTY = new Commit(new int[0], new int[0], new double[0]);
        int size() { return pos.length; }
        Commit prefix(int n) {
            return new Commit(Arrays.copyOf(pos, n), Arrays.copyOf(tok, n), Arrays.copyOf(conf, n));
        }
    }
}
