package org.unmask.data;

import org.unmask.text.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tokenised training and validation data of a run. The shipped corpus has its own validation split; a user
 * corpus gives up its last 1% (at least the validation windows, at most a tenth of it) as held-out text, unless a
 * separate validation corpus is named, which is then held out whole and the training corpus kept whole. A separate
 * validation corpus also gives its tokens per byte ({@code validTokensPerByte}, NaN for held-out text), which turns
 * bits per token into bits per byte.
 */
public record CorpusData(Tokens train, Tokens valid, String validSource, double validTokensPerByte, List<TokenFile> files)
        implements AutoCloseable {

    /**
     * Tokenises (or reuses the cache of) {@code corpus} and picks the validation text: {@code validCorpus} when it is
     * not null, else the corpus's own held-out text. Documents end with {@code separator}, the model's end of text.
     */
    public static CorpusData load(String corpus, String validCorpus, String textField, Tokenizer tok, Path tokenizerFile,
                                  Path cacheDir, int separator, int seqLen, int valWindows) throws IOException {
        checkValidCorpus(corpus, validCorpus);
        List<TokenFile> files = new ArrayList<>();
        TokenFile all = TokenCache.tokenized(corpus, textField, tok, tokenizerFile, cacheDir, separator);
        files.add(all);
        Tokens train = view(all);
        if (validCorpus != null) {
            TokenFile valid = TokenCache.tokenized(validCorpus, textField, tok, tokenizerFile, cacheDir, separator);
            files.add(valid);
            if (valid.size() < seqLen)
                throw new IllegalArgumentException("--valid-corpus " + validCorpus + " holds " + valid.size()
                        + " tokens, fewer than one window of " + seqLen);
            return new CorpusData(train, view(valid), validCorpus, tokensPerByte(valid, validCorpus, textField), files);
        }
        if (Corpora.isDefault(corpus) && !corpus.endsWith(":valid")) {
            TokenFile valid = TokenCache.tokenized(Corpora.DEFAULT + ":valid", textField, tok, tokenizerFile, cacheDir, separator);
            files.add(valid);
            return new CorpusData(train, view(valid), "default:valid", tokensPerByte(valid, Corpora.DEFAULT + ":valid", textField), files);
        }
        long n = all.size();
        long held = Math.max(n / 100, (long) valWindows * seqLen);
        if (held > n / 10 || n - held < seqLen) held = n / 10;
        if (held < seqLen || n - held < seqLen)
            return new CorpusData(train, null, "none (the corpus is too small to hold out a validation window)", Double.NaN, files);
        // held-out tokens are no longer documents: their bytes are not known without decoding, so no bits per byte
        return new CorpusData(Tokens.slice(train, 0, n - held), Tokens.slice(train, n - held, n),
                "the last " + held + " tokens of " + corpus, Double.NaN, files);
    }

    /** A validation corpus's tokens per byte of its text ({@link Corpora#textBytes}), as {@code eval} computes it. */
    private static double tokensPerByte(TokenFile valid, String corpus, String textField) throws IOException {
        return (double) valid.size() / Corpora.textBytes(Corpora.documents(corpus, textField));
    }

    /** Refuses a validation corpus that is the training corpus itself (null, for held-out text, is fine). */
    public static void checkValidCorpus(String corpus, String validCorpus) {
        if (validCorpus != null && sameSource(corpus, validCorpus))
            throw new IllegalArgumentException("--valid-corpus " + validCorpus + " is the training corpus itself: a model "
                    + "validated on the text it trains on measures memory, not language");
    }

    /** True when both names denote the same text: the same split of the shipped corpus, or the same file. */
    private static boolean sameSource(String a, String b) {
        if (Corpora.isDefault(a) || Corpora.isDefault(b))
            return Corpora.isDefault(a) && Corpora.isDefault(b) && Corpora.defaultSplit(a).equals(Corpora.defaultSplit(b));
        Path pa = Path.of(a), pb = Path.of(b);
        try {
            return Files.exists(pa) && Files.exists(pb) && Files.isSameFile(pa, pb);
        } catch (IOException e) {
            return pa.toAbsolutePath().normalize().equals(pb.toAbsolutePath().normalize());
        }
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
