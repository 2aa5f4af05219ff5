package org.unmask.text;

import java.util.Map;

/** WordPiece: greedy longest-match-first over the vocabulary, continuation pieces carrying a prefix. */
final class WordPieceModel implements TokenModel {

    private final Map<String, Integer> vocab;
    private final int unkId;
    private final String prefix;
    private final int maxChars;

    WordPieceModel(Map<String, Integer> vocab, String unkToken, String prefix, int maxChars, String source)
            throws TokenizerFormatException {
        this.vocab = Map.copyOf(vocab);
        Integer unk = vocab.get(unkToken);
        if (unk == null)
            throw new TokenizerFormatException(source, "WordPiece unk_token '" + unkToken + "' is not in the vocabulary");
        this.unkId = unk;
        this.prefix = prefix;
        this.maxChars = maxChars;
    }

    @Override public Map<String, Integer> vocab() { return vocab; }

    @Override public void tokenize(String word, IntList out) {
        if (word.isEmpty()) return;
        if (word.codePointCount(0, word.length()) > maxChars) {
            out.add(unkId);
            return;
        }
        IntList pieces = new IntList();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (end > start) {
                String sub = word.substring(start, end);
                if (start > 0) sub = prefix + sub;
                found = vocab.get(sub);
                if (found != null) break;
                end -= Character.isLowSurrogate(word.charAt(end - 1)) && end - 2 >= start ? 2 : 1;
            }
            if (found == null) {
                out.add(unkId);
                return;
            }
            pieces.add(found);
            start = end;
        }
        out.addAll(pieces.toArray());
    }
}
