package org.unmask.text;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Finds added tokens in text: leftmost match first, the longest one at a position, non-overlapping. */
final class AddedTokenMatcher {

    /** A piece of text: either an added token ({@code id >= 0}) or plain text for the model ({@code id == -1}). */
    record Piece(String text, int id) {}

    private record Pattern(String text, AddedToken token) {}

    private final Map<Character, List<Pattern>> byFirstChar = new HashMap<>();
    private final java.util.BitSet firstChars = new java.util.BitSet(1 << 16); // quick rejection, no boxing

    /** @param patterns the string each token is matched by (its content, normalized when the token is). */
    AddedTokenMatcher(List<AddedToken> tokens, List<String> patterns) {
        for (int i = 0; i < tokens.size(); i++) {
            String p = patterns.get(i);
            if (p.isEmpty()) continue;
            byFirstChar.computeIfAbsent(p.charAt(0), k -> new ArrayList<>()).add(new Pattern(p, tokens.get(i)));
            firstChars.set(p.charAt(0));
        }
        for (List<Pattern> l : byFirstChar.values()) l.sort(Comparator.comparingInt((Pattern p) -> -p.text.length()));
    }

    boolean isEmpty() { return byFirstChar.isEmpty(); }

    /** Splits {@code text} into added tokens and the plain pieces between them (empty pieces dropped). */
    void split(String text, List<Piece> out) {
        if (byFirstChar.isEmpty()) {
            if (!text.isEmpty()) out.add(new Piece(text, -1));
            return;
        }
        int emitted = 0; // end of what has been emitted
        int pos = 0;
        while (pos < text.length()) {
            Pattern hit = longestAt(text, pos);
            if (hit == null) { pos++; continue; }
            int start = pos, stop = pos + hit.text.length();
            AddedToken t = hit.token;
            if (t.singleWord()) {
                boolean startOk = start == 0 || !isWordChar(text.codePointBefore(start));
                boolean stopOk = stop == text.length() || !isWordChar(text.codePointAt(stop));
                if (!startOk || !stopOk) { pos = stop; continue; }
            }
            if (t.lstrip()) {
                int s = start;
                while (s > emitted && UnicodeChars.isWhitespace(text.codePointBefore(s)))
                    s -= Character.charCount(text.codePointBefore(s));
                start = s;
            }
            if (t.rstrip()) {
                while (stop < text.length() && UnicodeChars.isWhitespace(text.codePointAt(stop)))
                    stop += Character.charCount(text.codePointAt(stop));
            }
            if (start > emitted) out.add(new Piece(text.substring(emitted, start), -1));
            out.add(new Piece(text.substring(start, stop), t.id()));
            emitted = stop;
            pos = stop;
        }
        if (emitted < text.length()) out.add(new Piece(text.substring(emitted), -1));
    }

    private Pattern longestAt(String text, int pos) {
        if (!firstChars.get(text.charAt(pos))) return null;
        List<Pattern> candidates = byFirstChar.get(text.charAt(pos));
        if (candidates == null) return null;
        for (Pattern p : candidates) if (text.startsWith(p.text, pos)) return p;
        return null;
    }

    /** Unicode \\w as the reference library's regex crate defines it (UTS #18). */
    private static boolean isWordChar(int c) {
        if (Character.isAlphabetic(c) || c == 0x200C || c == 0x200D) return true;
        return switch (Character.getType(c)) {
            case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK,
                 Character.DECIMAL_DIGIT_NUMBER, Character.CONNECTOR_PUNCTUATION -> true;
            default -> false;
        };
    }
}
