package org.unmask.text;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The {@code truncation} and {@code padding} sections of a tokenizer.json, applied as the Hugging Face tokenizers
 * library applies them to single sequences ({@code encode} / {@code encode_batch}): truncate the raw ids to
 * {@code max_length} minus the special tokens the post-processor will add, keeping the rest as overflowing windows that
 * overlap by {@code stride}; add the special tokens to every part; then pad every encoding of the batch to the fixed
 * length or to the batch's longest, rounded up to {@code pad_to_multiple_of}, on the {@code direction} side.
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
     * One encoded sequence: its ids, the attention mask (0 on padding), and the overflowing windows that truncation
     * cut off (each post-processed and padded like the main part).
     */
    public record Encoding(int[] ids, int[] attentionMask, List<Encoding> overflowing) {}

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
     * Encodes a batch: {@code raw} are the sequences' ids before the post-processor, {@code special} adds its tokens
     * ({@code addedTokens} of them per sequence; null when special tokens are not added).
     */
    List<Encoding> apply(List<int[]> raw, UnaryOperator<int[]> special, int addedTokens) {
        List<Encoding> out = new ArrayList<>(raw.size());
        for (int[] ids : raw) {
            List<int[]> parts = truncation == null ? List.of(ids) : split(ids, special == null ? 0 : addedTokens);
            List<Encoding> overflow = new ArrayList<>();
            for (int i = 1; i < parts.size(); i++) overflow.add(plain(special == null ? parts.get(i) : special.apply(parts.get(i)), List.of()));
            out.add(plain(special == null ? parts.getFirst() : special.apply(parts.getFirst()), overflow));
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

    private static Encoding plain(int[] ids, List<Encoding> overflowing) {
        int[] mask = new int[ids.length];
        java.util.Arrays.fill(mask, 1);
        return new Encoding(ids, mask, overflowing);
    }

    /** The main part and the overflowing windows of {@code ids}, as the library's {@code Encoding::truncate} cuts them. */
    private List<int[]> split(int[] ids, int added) {
        if (truncation.strategy().equals("OnlySecond"))
            throw new IllegalArgumentException("truncation strategy OnlySecond needs a pair of sequences; these are single sequences");
        int max = truncation.maxLength() - added;
        if (max < 0)
            throw new IllegalArgumentException("truncation.max_length " + truncation.maxLength() + " is smaller than the " + added
                    + " special tokens the post-processor adds");
        if (ids.length <= max) return List.of(ids);
        if (max == 0) return List.of(new int[0], ids);   // everything overflows
        if (truncation.stride() >= max)
            throw new IllegalArgumentException("truncation.stride " + truncation.stride() + " must be less than the effective max length "
                    + max + " (max_length " + truncation.maxLength() + " minus " + added + " added special tokens)");
        int step = max - truncation.stride(), n = ids.length;
        List<int[]> parts = new ArrayList<>();
        if (truncation.direction() == Direction.RIGHT) {
            for (int start = 0; ; start += step) {   // windows from the start; the first one is kept
                int stop = Math.min(start + max, n);
                parts.add(java.util.Arrays.copyOfRange(ids, start, stop));
                if (stop == n) break;
            }
        } else {
            for (int stop = n; ; stop -= step) {     // windows from the end; the last one is kept
                int start = Math.max(stop - max, 0);
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
        if (n >= target) return new Encoding(e.ids(), e.attentionMask(), overflow);
        int[] ids = new int[target], mask = new int[target];
        int at = padding.direction() == Direction.RIGHT ? 0 : target - n;
        java.util.Arrays.fill(ids, padding.padId());
        System.arraycopy(e.ids(), 0, ids, at, n);
        System.arraycopy(e.attentionMask(), 0, mask, at, n);
        return new Encoding(ids, mask, overflow);
    }
}
