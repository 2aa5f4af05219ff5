package org.unmask.study;

import org.unmask.data.Corpora;
import org.unmask.data.Tokens;
import org.unmask.diffusion.ScoredSequence;
import org.unmask.text.HfTokenizer;
import org.unmask.text.SpecialTokens;
import org.unmask.text.Tokenizer;
import org.unmask.train.Rng;
import org.unmask.train.Validation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The shipped corpus as the studies see it: its documents in a fixed shuffled order (so a subset of n tokens mixes
 * the Bible and the Brown corpus as the whole does, and a smaller subset is a prefix of a larger one), encoded with
 * one tokenizer only as far as a study needs; the validation split likewise, cut into windows.
 */
public final class StudyData {
    private static final long ORDER_SEED = 20_240_601L;

    private final Tokenizer tokenizer;
    private final Path tokenizerFile;
    private final int eos;
    private final List<String> trainDocs, validDocs;
    private int[] train = new int[0];
    private int trainSize, trainDocsUsed;
    private int[] valid;

    private StudyData(Tokenizer tokenizer, Path tokenizerFile, List<String> trainDocs, List<String> validDocs) {
        this.tokenizer = tokenizer;
        this.tokenizerFile = tokenizerFile;
        this.eos = SpecialTokens.documentSeparator(tokenizer).orElseThrow(() -> new IllegalArgumentException(
                tokenizerFile + " has no " + SpecialTokens.EOS + " or " + SpecialTokens.SEP + " token to separate documents"));
        this.trainDocs = trainDocs;
        this.validDocs = validDocs;
    }

    /** The shipped corpus under the tokenizer in {@code tokenizerJson}. */
    public static StudyData load(Path tokenizerJson) throws IOException {
        if (!Files.isRegularFile(tokenizerJson))
            throw new IOException(tokenizerJson + ": no such tokenizer.json (pass --tokenizer FILE, e.g. models/unmask-bible-9m/tokenizer.json)");
        return new StudyData(HfTokenizer.load(tokenizerJson), tokenizerJson, shuffled(Corpora.DEFAULT), shuffled(Corpora.DEFAULT + ":valid"));
    }

    private static List<String> shuffled(String corpus) throws IOException {
        List<String> docs = new ArrayList<>();
        for (String d : Corpora.documents(corpus, null)) docs.add(d);
        int[] order = IntStream.range(0, docs.size()).toArray();
        new Rng(ORDER_SEED).shuffle(order);
        List<String> out = new ArrayList<>(docs.size());
        for (int i : order) out.add(docs.get(i));
        return out;
    }

    /** The tokenizer. */
    public Tokenizer tokenizer() { return tokenizer; }

    /** The tokenizer's file (copied into every arm, so that an arm is a complete model directory). */
    public Path tokenizerFile() { return tokenizerFile; }

    /** The first {@code n} training tokens in the fixed document order (documents end with EOS, or BERT's [SEP]). */
    public synchronized Tokens train(long n) {
        while (trainSize < n && trainDocsUsed < trainDocs.size()) {
            for (int id : tokenizer.encode(trainDocs.get(trainDocsUsed++), false)) add(id);
            add(eos);
        }
        if (trainSize < n)
            throw new IllegalArgumentException("the shipped corpus has " + trainSize + " training tokens under " + tokenizerFile + ", fewer than " + n);
        return Tokens.of(java.util.Arrays.copyOf(train, Math.toIntExact(n)));
    }

    private void add(int id) {
        if (trainSize == train.length) train = java.util.Arrays.copyOf(train, Math.max(1024, train.length * 2));
        train[trainSize++] = id;
    }

    /**
     * {@code count} windows of {@code seqLen} tokens spread evenly over the whole validation split, as train's
     * validation picks them ({@link Validation#windows}): the split opens with its Bible chapters, so its first
     * windows would judge the arms on Bible text only.
     */
    public synchronized List<ScoredSequence> valid(int count, int seqLen) {
        if (valid == null) {
            IntStream.Builder b = IntStream.builder();
            for (String d : validDocs) {
                for (int id : tokenizer.encode(d, false)) b.add(id);
                b.add(eos);
            }
            valid = b.build().toArray();
        }
        if (valid.length < (long) count * seqLen)
            throw new IllegalArgumentException("the validation split has " + valid.length + " tokens, fewer than " + count + " windows of " + seqLen);
        return Validation.windows(Tokens.of(valid), seqLen, count);
    }

    /** UTF-8 bytes of the text of {@code windows} (to turn bits per token into bits per byte). */
    public long bytes(List<ScoredSequence> windows) {
        long n = 0;
        for (ScoredSequence s : windows) n += tokenizer.decode(s.tokens(), true).getBytes(StandardCharsets.UTF_8).length;
        return n;
    }
}
