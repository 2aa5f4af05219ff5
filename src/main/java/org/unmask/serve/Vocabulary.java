package org.unmask.serve;

import org.unmask.diffusion.StepEvent;
import org.unmask.text.SpecialTokens;
import org.unmask.text.Tokenizer;

import java.util.Arrays;

/**
 * A tokenizer with the special ids the reverse process and the answer text depend on. {@code eotId} is -1 when
 * the vocabulary has no end-of-turn token. An answer ends at its first EOS or EoT.
 */
public record Vocabulary(Tokenizer tokenizer, int maskId, int bosId, int eosId, int eotId) {

    public Vocabulary {
        if (tokenizer == null) throw new IllegalArgumentException("tokenizer is null");
    }

    /** Our own tokenizers' layout (briefing): EOS 0, BOS 1, mask 2, EoT 5 when the tokenizer has {@link SpecialTokens#END_OF_TURN}. */
    public static Vocabulary of(Tokenizer tokenizer, int maskId, int bosId, int eosId) {
        int eot = tokenizer.tokenId(SpecialTokens.END_OF_TURN).orElse(-1);
        return new Vocabulary(tokenizer, maskId, bosId, eosId, eot);
    }

    /** True for the tokens that end an answer (EOS and EoT). */
    public boolean isEnd(int id) { return id == eosId || (eotId >= 0 && id == eotId); }

    /** Length of the leading run of committed (unmasked) positions: they can no longer change. */
    public int settledLength(int[] canvas) {
        int n = 0;
        while (n < canvas.length && canvas[n] != maskId) n++;
        return n;
    }

    /** Index of the first end token in {@code canvas[0, limit)}, or -1. */
    public int endIndex(int[] canvas, int limit) {
        for (int i = 0; i < limit; i++) if (isEnd(canvas[i])) return i;
        return -1;
    }

    /** Answer ids of a canvas: the settled prefix cut before the first end token. */
    public int[] answerIds(int[] canvas) {
        int settled = settledLength(canvas);
        int end = endIndex(canvas, settled);
        return Arrays.copyOf(canvas, end >= 0 ? end : settled);
    }

    /** Decoded answer text of a canvas (special tokens skipped). */
    public String answerText(int[] canvas) { return tokenizer.decode(answerIds(canvas), true); }

    /**
     * What a step of one request shows: the sampler's event for that request (its row first, canvas = prompt then
     * generated region) seen through a prompt of {@code promptLength} ids. The one place this is derived.
     */
    public AnswerStep answerStep(StepEvent e, int promptLength) {
        StepEvent.RowStep row = e.rows().getFirst();
        int[] canvas = row.canvas();
        int[] generated = Arrays.copyOfRange(canvas, promptLength, canvas.length);
        int[] revealed = new int[row.positions().length + row.filled().length];
        int n = 0;
        for (int p : row.positions()) if (p >= promptLength) revealed[n++] = p - promptLength;
        for (int p : row.filled()) if (p >= promptLength) revealed[n++] = p - promptLength;
        boolean ended = endIndex(generated, settledLength(generated)) >= 0;
        return new AnswerStep(e.step(), generated, Arrays.copyOf(revealed, n), answerText(generated), ended);
    }

    /** Display text of one token for the visualisation; null for the mask. */
    public String display(int id) { return id == maskId ? null : tokenizer.decode(new int[]{id}, false); }

    /** The ids without EOS tokens (LLaDA's chat history keeps EoT but drops the EOS padding). */
    public int[] withoutEos(int[] ids) { return Arrays.stream(ids).filter(t -> t != eosId).toArray(); }
}
