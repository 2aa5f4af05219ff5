package org.unmask.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizer.json pre-tokenizer: cuts normalized text into the words the model tokenizes one by one. */
sealed interface PreTokenizer {

    /** Appends the non-empty pieces of {@code text} to {@code out}. */
    void split(String text, List<String> out);

    /**
     * {@link #split(String, List)} of a piece that does ({@code atStart}) or does not begin the original text: only
     * {@link Metaspace} with its "first" scheme tells them apart (no word marker after an added token).
     */
    default void split(String text, boolean atStart, List<String> out) {
        split(text, out);
    }

    /** How a Split pre-tokenizer treats the matched delimiters. */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /** Splits on a pattern with one of the five delimiter behaviours, optionally inverted. */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        public void split(String text, List<String> out) {
            splitOnPattern(text, pattern, behavior, invert, out);
        }
    }

    /** GPT-2 byte-level: optional prefix space, optional GPT-2 split, then bytes written as alphabet characters. */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        private static final Pattern GPT2 = Regexes.compile(Regexes.GPT2);

        public void split(String text, List<String> out) {
            if (text.isEmpty()) return;
            if (addPrefixSpace && text.charAt(0) != ' ') text = " " + text;
            if (!useRegex) {
                out.add(ByteLevelAlphabet.encode(text));
                return;
            }
            List<String> pieces = new ArrayList<>();
            splitOnPattern(text, GPT2, Behavior.ISOLATED, false, pieces);
            for (String p : pieces) out.add(ByteLevelAlphabet.encode(p));
        }
    }

    /** Applies pre-tokenizers in order, each to every piece of the previous one. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        public void split(String text, List<String> out) {
            split(text, true, out);
        }

        @Override public void split(String text, boolean atStart, List<String> out) {
            List<String> pieces = List.of(text);
            for (PreTokenizer step : steps) {
                List<String> next = new ArrayList<>();
                // a later piece starts past the beginning (exact unless a step dropped a leading delimiter)
                for (int i = 0; i < pieces.size(); i++) step.split(pieces.get(i), atStart && i == 0, next);
                pieces = next;
            }
            out.addAll(pieces);
        }
    }

    /** Where {@link Metaspace} puts a word marker before a piece: always, on the text's first piece only, or never. */
    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /**
     * SentencePiece's whitespace: every space becomes the marker (U+2581 in practice), a piece gets one in front by
     * its scheme unless it starts with one, and {@code split} cuts before every marker.
     */
    record Metaspace(String replacement, PrependScheme scheme, boolean split) implements PreTokenizer {
        public void split(String text, List<String> out) {
            split(text, true, out);
        }

        @Override public void split(String text, boolean atStart, List<String> out) {
            if (text.isEmpty()) return;
            String s = text.replace(" ", replacement);
            boolean prepend = scheme == PrependScheme.ALWAYS || scheme == PrependScheme.FIRST && atStart;
            if (prepend && !s.startsWith(replacement)) s = replacement + s;
            if (!split) {
                out.add(s);
                return;
            }
            // every marker opens a piece, even right after another ("▁a▁▁b" gives "▁a", "▁", "▁b"), as the library does
            int start = 0;
            for (int i = s.indexOf(replacement, 1); i >= 0; i = s.indexOf(replacement, i + replacement.length())) {
                out.add(s.substring(start, i));
                start = i;
            }
            out.add(s.substring(start));
        }
    }

    /** BERT: drop whitespace, isolate every punctuation character. */
    record Bert() implements PreTokenizer {
        public void split(String text, List<String> out) {
            int start = -1;
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                int n = Character.charCount(c);
                if (UnicodeChars.isWhitespace(c)) {
                    if (start >= 0) out.add(text.substring(start, i));
                    start = -1;
                } else if (UnicodeChars.isBertPunctuation(c)) {
                    if (start >= 0) out.add(text.substring(start, i));
                    out.add(text.substring(i, i + n));
                    start = -1;
                } else if (start < 0) {
                    start = i;
                }
                i += n;
            }
            if (start >= 0) out.add(text.substring(start));
        }
    }

    /** Runs of word characters and runs of other non-space characters. */
    record Whitespace() implements PreTokenizer {
        private static final Pattern WORDS = Regexes.compile("\\w+|[^\\w\\s]+");

        public void split(String text, List<String> out) {
            splitOnPattern(text, WORDS, Behavior.REMOVED, true, out);
        }
    }

    /** Splits on whitespace only. */
    record WhitespaceSplit() implements PreTokenizer {
        public void split(String text, List<String> out) {
            int start = -1;
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                if (UnicodeChars.isWhitespace(c)) {
                    if (start >= 0) out.add(text.substring(start, i));
                    start = -1;
                } else if (start < 0) {
                    start = i;
                }
                i += Character.charCount(c);
            }
            if (start >= 0) out.add(text.substring(start));
        }
    }

    /** Isolates digits, one per piece or as runs. */
    record Digits(boolean individual) implements PreTokenizer {
        public void split(String text, List<String> out) {
            int start = 0;
            int prevKind = -1;
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                int kind = UnicodeChars.isNumeric(c) ? 1 : 0;
                boolean boundary = i > 0 && (kind != prevKind || (individual && kind == 1));
                if (boundary) {
                    out.add(text.substring(start, i));
                    start = i;
                }
                prevKind = kind;
                i += Character.charCount(c);
            }
            if (start < text.length()) out.add(text.substring(start));
        }
    }

    /**
     * Splits on matches the way the reference library does: the text becomes alternating (piece, isMatch)
     * spans, the behaviour merges or drops the matched ones, and empty pieces vanish.
     */
    static void splitOnPattern(String text, Pattern pattern, Behavior behavior, boolean invert, List<String> out) {
        if (text.isEmpty()) return;
        List<int[]> spans = new ArrayList<>(); // {start, end, isMatch}
        Matcher m = pattern.matcher(text);
        int prev = 0;
        while (m.find()) {
            if (m.start() == m.end()) continue;
            if (prev < m.start()) spans.add(new int[] {prev, m.start(), invert ? 1 : 0});
            spans.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
            prev = m.end();
        }
        if (prev < text.length()) spans.add(new int[] {prev, text.length(), invert ? 1 : 0});

        List<int[]> pieces = new ArrayList<>();
        switch (behavior) {
            case ISOLATED -> pieces = spans;
            case REMOVED -> { for (int[] s : spans) if (s[2] == 0) pieces.add(s); }
            case MERGED_WITH_PREVIOUS -> {
                boolean previousMatch = false;
                for (int[] s : spans) {
                    boolean match = s[2] == 1;
                    if (match && !previousMatch && !pieces.isEmpty()) pieces.getLast()[1] = s[1];
                    else pieces.add(s);
                    previousMatch = match;
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean previousMatch = false;
                for (int i = spans.size() - 1; i >= 0; i--) {
                    int[] s = spans.get(i);
                    boolean match = s[2] == 1;
                    if (match && !previousMatch && !pieces.isEmpty()) pieces.getLast()[0] = s[0];
                    else pieces.add(s);
                    previousMatch = match;
                }
                java.util.Collections.reverse(pieces);
            }
            case CONTIGUOUS -> {
                boolean previousMatch = false;
                for (int[] s : spans) {
                    boolean match = s[2] == 1;
                    if (match == previousMatch && !pieces.isEmpty()) pieces.getLast()[1] = s[1];
                    else pieces.add(s);
                    previousMatch = match;
                }
            }
        }
        for (int[] p : pieces) if (p[1] > p[0]) out.add(text.substring(p[0], p[1]));
    }
}
