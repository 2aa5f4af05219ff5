package org.unmask.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A tokenizer.json decoder: turns token strings back into text pieces that are then concatenated. */
sealed interface Decoder {

    List<String> decode(List<String> tokens);

    /** Byte-level alphabet back to bytes, then UTF-8 with invalid sequences replaced by U+FFFD. */
    record ByteLevel() implements Decoder {
        public List<String> decode(List<String> tokens) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            for (String t : tokens) {
                byte[] mapped = new byte[t.length()];
                boolean allMapped = true;
                for (int i = 0; i < t.length(); i++) {
                    int b = ByteLevelAlphabet.byteOf(t.charAt(i));
                    if (b < 0) { allMapped = false; break; }
                    mapped[i] = (byte) b;
                }
                // A token with characters outside the alphabet (an added token, say) stands for its own text.
                byte[] piece = allMapped ? mapped : t.getBytes(StandardCharsets.UTF_8);
                bytes.write(piece, 0, piece.length);
            }
            return List.of(Utf8.decodeLossy(bytes.toByteArray(), bytes.size()));
        }
    }

    /** Joins WordPiece tokens: continuation pieces lose their prefix, others get a leading space. */
    record WordPiece(String prefix, boolean cleanup) implements Decoder {
        public List<String> decode(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                if (i != 0) t = t.startsWith(prefix) ? t.substring(prefix.length()) : " " + t;
                out.add(cleanup ? cleanup(t) : t);
            }
            return out;
        }

        /** Removes the spaces tokenization put before punctuation and English contractions. */
        static String cleanup(String s) {
            return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                    .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't")
                    .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
        }
    }

    /** Replaces a literal in every token. */
    record Replace(String pattern, String content) implements Decoder {
        public List<String> decode(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) out.add(t.replace(pattern, content));
            return out;
        }
    }

    /**
     * SentencePiece's byte pieces ({@code <0x41>}) back to text: each run of them is read as UTF-8, and a run that is
     * not valid UTF-8 becomes one U+FFFD per byte; other tokens pass unchanged.
     */
    record ByteFallback() implements Decoder {
        public List<String> decode(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            java.io.ByteArrayOutputStream run = new java.io.ByteArrayOutputStream();
            for (String t : tokens) {
                int b = byteOf(t);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flush(run, out);
                out.add(t);
            }
            flush(run, out);
            return out;
        }

        /** The byte a {@code <0xHH>} token stands for, else -1. */
        static int byteOf(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
            int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
        }

        private static void flush(java.io.ByteArrayOutputStream run, List<String> out) {
            if (run.size() == 0) return;
            java.nio.charset.CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder();
            try {
                out.add(strict.decode(java.nio.ByteBuffer.wrap(run.toByteArray())).toString());
            } catch (java.nio.charset.CharacterCodingException e) {
                for (int i = 0; i < run.size(); i++) out.add("\uFFFD");
            }
            run.reset();
        }
    }

    /**
     * {@link PreTokenizer.Metaspace} undone: every marker becomes a space, except in the first token, where markers
     * are dropped unless the scheme never prepends one.
     */
    record Metaspace(String replacement, PreTokenizer.PrependScheme scheme) implements Decoder {
        public List<String> decode(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++)
                out.add(tokens.get(i).replace(replacement, i == 0 && scheme != PreTokenizer.PrependScheme.NEVER ? "" : " "));
            return out;
        }
    }

    /** Joins all tokens into one. */
    record Fuse() implements Decoder {
        public List<String> decode(List<String> tokens) { return List.of(String.join("", tokens)); }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing occurrences of a character from each token. */
    record Strip(String content, int start, int stop) implements Decoder {
        public List<String> decode(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int from = 0, to = t.length();
                for (int k = 0; k < start && t.startsWith(content, from) && from < to; k++) from += content.length();
                for (int k = 0; k < stop && to - content.length() >= from && t.startsWith(content, to - content.length()); k++)
                    to -= content.length();
                out.add(t.substring(from, to));
            }
            return out;
        }
    }

    /** Applies decoders in order. */
    record Sequence(List<Decoder> steps) implements Decoder {
        public List<String> decode(List<String> tokens) {
            for (Decoder d : steps) tokens = d.decode(tokens);
            return tokens;
        }
    }
}
