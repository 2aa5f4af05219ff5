package org.unmask.data;

import org.unmask.text.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tokenised training and validation data of a run. The shipped corpus has its own validation split; a user
 * corpus gives up its last 1% (at least the validation windows, at most a tenth of it) as held-out text.
 */
public record CorpusData(Tokens train, Tokens valid, String validSource, List<TokenFile> files) implements AutoCloseable {

    /** Tokenises (or reuses the cache of) {@code corpus} and picks the validation text. */
    public static CorpusData load(String corpus, String textField, Tokenizer tok, Path tokenizerFile, Path cacheDir,
                                  int seqLen, int valWindows) throws IOException {
        List<TokenFile> files = new ArrayList<>();
        TokenFile all = TokenCache.tokenized(corpus, textField, tok, tokenizerFile, cacheDir);
        files.add(all);
        Tokens train = view(all);
        if (Corpora.isDefault(corpus) && !corpus.endsWith(":valid")) {
            TokenFile valid = TokenCache.tokenized(Corpora.DEFAULT + ":valid", textField, tok, tokenizerFile, cacheDir);
            files.add(valid);
            return new CorpusData(train, view(valid), "default:valid", files);
        }
        long n = all.size();
        long held = Math.max(n / 100, (long) valWindows * seqLen);
        if (held > n / 10 || n - held < seqLen) held = n / 10;
        if (held < seqLen || n - held < seqLen)
            return new CorpusData(train, null, "none (the corpus is too small to hold out a validation window)", files);
        return new CorpusData(Tokens.slice(train, 0, n - held), Tokens.slice(train, n - held, n),
                "the last " + held + " tokens of " + corpus, files);
    }

    private static Tokens view(TokenFile f) {
        return new Tokens() {
            public long size() { return f.size(); }
            public void copy(long from, int[] dst, int off, int n) { f.copy(from, dst, off, n); }
        };
    }

    @Override public void close() {
        for (TokenFile f : files) f.close();
    }
}
