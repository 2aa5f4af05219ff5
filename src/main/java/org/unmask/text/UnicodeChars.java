package org.unmask.text;

import java.util.Locale;

/** Character classes with the meaning Rust's char methods give them (the reference library is written in Rust). */
final class UnicodeChars {

    private UnicodeChars() {}

    /** Unicode White_Space (Rust's char::is_whitespace). */
    static boolean isWhitespace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    /** Numeric (Rust's char::is_numeric: categories Nd, Nl, No). */
    static boolean isNumeric(int c) {
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Unicode punctuation categories Pc, Pd, Ps, Pe, Pi, Pf, Po. */
    static boolean isPunctuation(int c) {
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                 Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** BERT's punctuation: any ASCII punctuation (so $, +, ^ ... count) or a Unicode punctuation character. */
    static boolean isBertPunctuation(int c) {
        boolean asciiPunct = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
        return asciiPunct || isPunctuation(c);
    }

    /** Lowercases one code point with the full (possibly multi-character) mapping and no context rules. */
    static void appendLower(StringBuilder out, int c) {
        if (c < 0x80) {
            out.append((char) (c >= 'A' && c <= 'Z' ? c + 32 : c));
        } else if (c == 0x130) {
            out.append("i\u0307");
        } else {
            // A lone code point has no neighbours, so Java's final-sigma rule never fires here.
            out.append(new String(Character.toChars(c)).toLowerCase(Locale.ROOT));
        }
    }

    /** Lowercases every code point independently. */
    static String lowercase(String s) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(c -> appendLower(out, c));
        return out.toString();
    }
}
