package org.unmask.diffusion;

import org.unmask.text.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The infilling text syntax: {@code [MASK:n]} (or {@code [MASK]} for one) marks n masked tokens anywhere in a text,
 * e.g. {@code "The [MASK:5] sat on the mat."}. The literal pieces are tokenized separately and joined with mask ids.
 */
public final class Infill {
    private Infill() {}

    private static final Pattern MASK = Pattern.compile("\\[MASK(?::(\\d+))?]");

    /** A literal piece of text, or a run of masks. */
    public sealed interface Piece permits Text, Masks {}
    /** Literal text. */
    public record Text(String text) implements Piece {}
    /** {@code count} masked tokens. */
    public record Masks(int count) implements Piece {}

    /** Splits {@code text} into literal pieces and mask runs; rejects a malformed or zero-length mask. */
    public static List<Piece> parse(String text) {
        List<Piece> out = new ArrayList<>();
        Matcher m = MASK.matcher(text);
        int at = 0;
        while (m.find()) {
            if (m.start() > at) out.add(new Text(text.substring(at, m.start())));
            int n = 1;
            if (m.group(1) != null) {
                try {
                    n = Integer.parseInt(m.group(1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("mask count too large in '" + m.group() + "'");
                }
            }
            if (n <= 0 || n > 100_000)
                throw new IllegalArgumentException("mask count must be between 1 and 100000 in '" + m.group() + "'");
            out.add(new Masks(n));
            at = m.end();
        }
        if (at < text.length()) out.add(new Text(text.substring(at)));
        if (text.contains("[MASK") && out.stream().noneMatch(p -> p instanceof Masks))
            throw new IllegalArgumentException("malformed mask in '" + text + "': use [MASK] or [MASK:n]");
        return out;
    }

    /**
     * Token ids of {@code text} with each {@code [MASK:n]} replaced by n copies of {@code maskId}. Whitespace right
     * before a mask is left to the masked span: byte-level BPE attaches a word's leading space to the word, so
     * "The [MASK:1] sat" must become "The" + mask + " sat", not a lone space token the model never saw in training.
     */
    public static int[] encode(String text, Tokenizer tok, int maskId) {
        List<Integer> ids = new ArrayList<>();
        List<Piece> pieces = parse(text);
        for (int k = 0; k < pieces.size(); k++) {
            switch (pieces.get(k)) {
                case Text t -> {
                    boolean beforeMask = k + 1 < pieces.size() && pieces.get(k + 1) instanceof Masks;
                    String s = beforeMask ? t.text().stripTrailing() : t.text();
                    for (int id : tok.encode(s, false)) ids.add(id);
                }
                case Masks m -> { for (int i = 0; i < m.count(); i++) ids.add(maskId); }
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Number of mask ids in {@code ids}. */
    public static int countMasks(int[] ids, int maskId) {
        int n = 0;
        for (int id : ids) if (id == maskId) n++;
        return n;
    }
}
