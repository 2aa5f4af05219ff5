package org.unmask.text;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code truncation} and {@code padding} sections of a tokenizer.json, applied as the Hugging Face tokenizers
 * library applies them to single sequences and pairs ({@code encode} / {@code encode_batch}): truncate the raw ids to
 * {@code max_length} minus the special tokens the post-processor will add (a pair shares it by the strategy: longest
 * first, only the first, only the second), keeping the rest as overflowing windows that overlap by {@code stride}; add
 * the special tokens to every part; then pad every encoding of the batch to the fixed length or to the batch's
 * longest, rounded up to {@code pad_to_multiple_of}, on the {@code direction} side. The tokenizer stops tokenizing
 * early under truncation as the library does ({@link HfTokenizer#encodeBatch}).
 *
 * @param truncation null when the file has none
 * @param padding    null when the file has none
 */
public record TruncationPadding(Truncation truncation, Padding padding) {

    /** Which end of a sequence truncation or padding works on. */
    public enum Direction { LEFT, RIGHT }

    /** {@code truncation}: {@code max_length}, {@code strategy} (LongestFirst, OnlyFirst, OnlySecond), {@code stride}, {@code direction}. */
    public record Truncation(int maxLength, String strategy, int stride, Direction direction) {}

    /**
     * {@code padding}: {@code strategy} {@code {"Fixed": n}} (fixed = n) or {@code "BatchLongest"} (fixed = null),
     * {@code direction}, {@code pad_to_multiple_of} (null = none), {@code pad_id}, {@code pad_type_id}, {@code pad_token}.
     */
    public record Padding(Integer fixed, Direction direction, Integer padToMultipleOf, int padId, int padTypeId, String padToken) {}

    /**
     * One encoded sequence or pair: its ids, their token type ids, the attention mask (0 on padding), and the
     * overflowing windows that truncation cut off (each post-processed and padded like the main part).
     */
    public record Encoding(int[] ids, int[] typeIds, int[] attentionMask, List<Encoding> overflowing) {}

    /** Reads both sections (either may be null or absent); errors name the field. */
    static TruncationPadding read(JsonNode json, String source) throws TokenizerFormatException {
        return new TruncationPadding(truncation(json.get("truncation"), source), padding(json.get("padding"), source));
    }

    private static Truncation truncation(JsonNode t, String source) throws TokenizerFormatException {
        if (t == null || t.isNull()) return null;
        int max = nonNegative(t, "max_length", source, null);
        String strategy = t.hasNonNull("strategy") ? t.get("strategy").asText() : "LongestFirst";
        if (!List.of("LongestFirst", "OnlyFirst", "OnlySecond").contains(strategy))
            throw new TokenizerFormatException(source, "truncation.strategy \"" + strategy + "\" is not LongestFirst, OnlyFirst or OnlySecond");
        return new Truncation(max, strategy, nonNegative(t, "stride", source, 0), direction(t, "truncation", source));
    }

    private static Padding padding(JsonNode p, String source) throws TokenizerFormatException {
        if (p == null || p.isNull()) return null;
        JsonNode s = p.get("strategy");
        Integer fixed;
        if (s == null || s.isNull() || (s.isTextual() && s.asText().equals("BatchLongest"))) fixed = null;
        else if (s.isObject() && s.has("Fixed") && s.get("Fixed").canConvertToInt() && s.get("Fixed").asInt() >= 0) fixed = s.get("Fixed").asInt();
        else throw new TokenizerFormatException(source, "padding.strategy " + s + " is neither \"BatchLongest\" nor {\"Fixed\": n}");
        JsonNode m = p.get("pad_to_multiple_of");
        Integer multiple = m == null || m.isNull() ? null : nonNegative(p, "pad_to_multiple_of", source, null);
        return new Padding(fixed, direction(p, "padding", source), multiple, nonNegative(p, "pad_id", source, 0),
                nonNegative(p, "pad_type_id", source, 0), p.hasNonNull("pad_token") ? p.get("pad_token").asText() : "[PAD]");
    }

    private static int nonNegative(JsonNode n, String field, String source, Integer fallback) throws TokenizerFormatException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (fallback != null) return fallback;
            throw new TokenizerFormatException(source, "field '" + field + "' is missing");
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0)
            throw new TokenizerFormatException(source, "field '" + field + "' = " + v + " must be a non-negative whole number");
        return v.asInt();
    }

    private static Direction direction(JsonNode n, String section, String source) throws TokenizerFormatException {
        JsonNode d = n.get("direction");
        if (d == null || d.isNull() || d.asText().equals("Right")) return Direction.RIGHT;
        if (d.asText().equals("Left")) return Direction.LEFT;
        throw new TokenizerFormatException(source, section + ".direction \"" + d.asText() + "\" is neither \"Left\" nor \"Right\"");
    }

    /**
     * Encodes a batch: {@code first} are the sequences' ids before the post-processor, {@code second} their pairs
     * (null for single sequences); {@code processor} (null for none) adds the special tokens when
     * {@code addSpecialTokens}. Throws IllegalArgumentException where the library fails: OnlySecond truncation of a
     * single sequence that is too long, a sequence too short to lose what OnlyFirst/OnlySecond must cut, a stride not
     * below the length kept.
     */
    List<Encoding> apply(List<int[]> first, List<int[]> second, PostProcessor processor, boolean addSpecialTokens) {
        List<Encoding> out = new ArrayList<>(first.size());
        for (int i = 0; i < first.size(); i++) {
            int[] a = first.get(i), b = second == null ? null : second.get(i);
            List<int[]> as = List.of(a), bs = b == null ? null : List.of(b);
            if (truncation != null) {
                int added = addSpecialTokens && processor != null ? processor.added(b != null) : 0;
                // The library subtracts the special tokens from max_length in unsigned arithmetic: when they do not
                // fit, the limit wraps around and only the early exit of the tokenizer (HfTokenizer) cut the input.
                if (truncation.maxLength() >= added) {
                    List<List<int[]>> parts = truncate(a, b, truncation.maxLength() - added);
                    as = parts.get(0);
                    bs = parts.get(1);
                }
            }
            // the main encoding pairs the kept parts; each overflowing window of one pairs with the other's kept
            // part and its windows, in the library's order (Encoding::merge_with)
            PostProcessor.Part a0 = new PostProcessor.Part(as.getFirst(), false), b0 = bs == null ? null : new PostProcessor.Part(bs.getFirst(), false);
            List<Encoding> overflow = new ArrayList<>();
            for (int[] ao : as.subList(1, as.size())) {
                PostProcessor.Part aw = new PostProcessor.Part(ao, true);
                overflow.add(plain(process(processor, aw, b0, addSpecialTokens), List.of()));
                if (bs != null) for (int[] bo : bs.subList(1, bs.size())) overflow.add(plain(process(processor, aw, new PostProcessor.Part(bo, true), addSpecialTokens), List.of()));
            }
            if (bs != null) for (int[] bo : bs.subList(1, bs.size())) overflow.add(plain(process(processor, a0, new PostProcessor.Part(bo, true), addSpecialTokens), List.of()));
            out.add(plain(process(processor, a0, b0, addSpecialTokens), overflow));
        }
        if (padding == null) return out;
        int target;
        if (padding.fixed() != null) {
            target = padding.fixed();
        } else {
            target = 0;
            for (Encoding e : out) target = Math.max(target, e.ids().length);   // the main encodings only, as the library does
        }
        if (padding.padToMultipleOf() != null && padding.padToMultipleOf() > 0 && target % padding.padToMultipleOf() != 0)
            target += padding.padToMultipleOf() - target % padding.padToMultipleOf();
        List<Encoding> padded = new ArrayList<>(out.size());
        for (Encoding e : out) padded.add(pad(e, target));
        return padded;
    }

    private static PostProcessor.Typed process(PostProcessor processor, PostProcessor.Part a, PostProcessor.Part b, boolean addSpecialTokens) {
        return processor == null ? PostProcessor.plain(a, b) : processor.process(a, b, addSpecialTokens);
    }

    private static Encoding plain(PostProcessor.Typed t, List<Encoding> overflowing) {
        int[] mask = new int[t.ids().length];
        java.util.Arrays.fill(mask, 1);
        return new Encoding(t.ids(), t.typeIds(), mask, overflowing);
    }

    /**
     * Each sequence cut to its share of {@code max} ids (the library's {@code truncate_encodings}): its kept part
     * first, then the windows that overflow; the second list is null without a pair.
     */
    private List<List<int[]>> truncate(int[] a, int[] b, int max) {
        int total = a.length + (b == null ? 0 : b.length);
        if (max == 0) return java.util.Arrays.asList(split(a, 0), b == null ? null : split(b, 0));
        if (total <= max) return java.util.Arrays.asList(List.of(a), b == null ? null : List.of(b));
        int remove = total - max;
        switch (truncation.strategy()) {
            case "LongestFirst" -> {
                if (b == null) return java.util.Arrays.asList(split(a, max), null);
                // the shorter keeps all it can up to half; the longer the rest; both over half: halves, the odd id
                // to the longer (to the second when they are equally long)
                boolean swap = a.length > b.length;
                int n1 = Math.min(a.length, b.length), n2 = n1 > max ? n1 : Math.max(n1, max - n1);
                if (n1 + n2 > max) {
                    n1 = max / 2;
                    n2 = n1 + max % 2;
                }
                return List.of(split(a, swap ? n2 : n1), split(b, swap ? n1 : n2));
            }
            case "OnlyFirst" -> {
                if (a.length <= remove) throw tooShort("first", a.length, remove);
                return java.util.Arrays.asList(split(a, a.length - remove), b == null ? null : List.of(b));
            }
            default -> {   // OnlySecond
                if (b == null)
                    throw new IllegalArgumentException("truncation strategy OnlySecond needs a pair of sequences; this single sequence"
                            + " has " + total + " ids, more than the " + max + " allowed");
                if (b.length <= remove) throw tooShort("second", b.length, remove);
                return List.of(List.of(a), split(b, b.length - remove));
            }
        }
    }

    private IllegalArgumentException tooShort(String which, int length, int remove) {
        return new IllegalArgumentException("truncation " + truncation.strategy() + ": the " + which + " sequence has " + length
                + " ids, too few to lose the " + remove + " over max_length " + truncation.maxLength());
    }

    /** The kept part and the overflowing windows of {@code ids} cut to {@code keep} ids, as {@code Encoding::truncate}. */
    private List<int[]> split(int[] ids, int keep) {
        if (ids.length <= keep) return List.of(ids);
        if (keep == 0) return List.of(new int[0], ids);   // everything overflows, in one piece
        if (truncation.stride() >= keep)
            throw new IllegalArgumentException("truncation.stride " + truncation.stride() + " must be less than the " + keep
                    + " ids a sequence keeps (max_length " + truncation.maxLength() + ", less the special tokens, shared by a pair)");
        int step = keep - truncation.stride(), n = ids.length;
        List<int[]> parts = new ArrayList<>();
        if (truncation.direction() == Direction.RIGHT) {
            for (int start = 0; ; start += step) {   // windows from the start; the first one is kept
                int stop = Math.min(start + keep, n);
                parts.add(java.util.Arrays.copyOfRange(ids, start, stop));
                if (stop == n) break;
            }
        } else {
            for (int stop = n; ; stop -= step) {     // windows from the end; the last one is kept
                int start = Math.max(stop - keep, 0);
                parts.add(java.util.Arrays.copyOfRange(ids, start, stop));
                if (start == 0) break;
            }
        }
        return parts;
    }

    private Encoding pad(Encoding e, int target) {
        List<Encoding> overflow = new ArrayList<>();
        for (Encoding o : e.overflowing()) overflow.add(pad(o, target));
        int n = e.ids().length;
        if (n >= target) return new Encoding(e.ids(), e.typeIds(), e.attentionMask(), overflow);
        int[] ids = new int[target], types = new int[target], mask = new int[target];
        int at = padding.direction() == Direction.RIGHT ? 0 : target - n;
        java.util.Arrays.fill(ids, padding.padId());
        java.util.Arrays.fill(types, padding.padTypeId());
        System.arraycopy(e.ids(), 0, ids, at, n);
        System.arraycopy(e.typeIds(), 0, types, at, n);
        System.arraycopy(e.attentionMask(), 0, mask, at, n);
        return new Encoding(ids, types, mask, overflow);
    }
}
