package org.unmask.text;

import java.text.Normalizer.Form;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizer.json normalizer: rewrites text before pre-tokenization. */
sealed interface Normalizer {

    String normalize(String text);

    /** Unicode normal forms NFC, NFD, NFKC, NFKD. */
    record UnicodeForm(Form form) implements Normalizer {
        public String normalize(String text) { return java.text.Normalizer.normalize(text, form); }
    }

    /** Lowercases each character (full mapping, no context). */
    record Lowercase() implements Normalizer {
        public String normalize(String text) { return UnicodeChars.lowercase(text); }
    }

    /** Removes leading and/or trailing whitespace. */
    record Strip(boolean left, boolean right) implements Normalizer {
        public String normalize(String text) {
            int start = 0, end = text.length();
            while (left && start < end) {
                int c = text.codePointAt(start);
                if (!UnicodeChars.isWhitespace(c)) break;
                start += Character.charCount(c);
            }
            while (right && end > start) {
                int c = text.codePointBefore(end);
                if (!UnicodeChars.isWhitespace(c)) break;
                end -= Character.charCount(c);
            }
            return text.substring(start, end);
        }
    }

    /** Removes combining marks (categories Mn, Mc, Me) without decomposing first. */
    record StripAccents() implements Normalizer {
        public String normalize(String text) {
            StringBuilder out = new StringBuilder(text.length());
            text.codePoints().filter(c -> !isMark(c)).forEach(out::appendCodePoint);
            return out.toString();
        }

        private static boolean isMark(int c) {
            int t = Character.getType(c);
            return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK || t == Character.ENCLOSING_MARK;
        }
    }

    /** Replaces every match of a literal or a regex. */
    record Replace(Pattern pattern, String content) implements Normalizer {
        public String normalize(String text) {
            return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    /** Puts a string in front of non-empty text. */
    record Prepend(String prefix) implements Normalizer {
        public String normalize(String text) { return text.isEmpty() ? text : prefix + text; }
    }

    /** Applies normalizers in order. */
    record Sequence(List<Normalizer> steps) implements Normalizer {
        public String normalize(String text) {
            for (Normalizer n : steps) text = n.normalize(text);
            return text;
        }
    }

    /** BERT's cleanup, CJK spacing, accent stripping and lowercasing. */
    record Bert(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase)
            implements Normalizer {
        public String normalize(String text) {
            StringBuilder out = new StringBuilder(text.length() + 16);
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                i += Character.charCount(c);
                if (cleanText) {
                    if (c == 0 || c == 0xFFFD || isControl(c)) continue;
                    if (c == '\t' || c == '\n' || c == '\r' || UnicodeChars.isWhitespace(c)) c = ' ';
                }
                if (handleChineseChars && isChinese(c)) out.append(' ').appendCodePoint(c).append(' ');
                else out.appendCodePoint(c);
            }
            String s = out.toString();
            if (stripAccents) s = removeNonspacingMarks(java.text.Normalizer.normalize(s, Form.NFD));
            if (lowercase) s = UnicodeChars.lowercase(s);
            return s;
        }

        private static boolean isControl(int c) {
            if (c == '\t' || c == '\n' || c == '\r') return false;
            return switch (Character.getType(c)) {
                case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                     Character.UNASSIGNED -> true;
                default -> false;
            };
        }

        private static boolean isChinese(int c) {
            return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                    || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F)
                    || (c >= 0x2B920 && c <= 0x2CEAF) || (c >= 0xF900 && c <= 0xFAFF)
                    || (c >= 0x2F800 && c <= 0x2FA1F);
        }
    }

    private static String removeNonspacingMarks(String s) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK).forEach(out::appendCodePoint);
        return out.toString();
    }
}
