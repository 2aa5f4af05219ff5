package org.unmask.data;

import org.unmask.files.AtomicFile;
import org.unmask.text.BpeTrainer;
import org.unmask.text.HfTokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * Finds the tokenizer of a training run: the one given with {@code --tokenizer}, the one already in the run
 * directory, or a byte-level BPE trained on the corpus. Trained tokenizers are cached by corpus content and vocabulary
 * size, so a diffusion run and an AR run on the same corpus share one tokenizer (and one token cache).
 */
public final class TokenizerSetup {
    /** A loaded tokenizer and the file it was loaded from (the token cache keys on that file). */
    public record Found(HfTokenizer tokenizer, Path file) {
        /** Id of a required special token, or an error naming the file. */
        public int require(String token) throws IOException {
            return tokenizer.tokenId(token).orElseThrow(() -> new IOException(file + ": the tokenizer has no " + token
                    + " token, which masked diffusion training needs"));
        }
    }

    private TokenizerSetup() {}

    /**
     * The tokenizer for a run in {@code runDir}: {@code explicit} when given, else {@code runDir/tokenizer.json} when
     * present, else one trained on {@code corpus} with {@code vocabSize} entries (cached under {@code cacheDir}).
     */
    public static Found obtain(String corpus, String textField, int vocabSize, Path explicit, Path runDir, Path cacheDir,
                               Consumer<String> log) throws IOException {
        if (explicit != null) return new Found(load(explicit), explicit);
        Path inRun = runDir.resolve(HfTokenizer.FILE);
        Path cached = null;
        if (vocabSize >= BpeTrainer.MIN_VOCAB) {
            String key = sha256(String.join("\n", "bpe v1", Corpora.fingerprint(corpus), "field=" + textField, "vocab=" + vocabSize));
            cached = cacheDir.resolve("tokenizers").resolve("bpe-" + vocabSize + "-" + key.substring(0, 16) + ".json");
        }
        if (Files.isRegularFile(inRun)) {
            // the same file as the cached one keeps the token cache keyed on one path (no second tokenisation)
            if (cached != null && Files.isRegularFile(cached) && Files.mismatch(inRun, cached) == -1) return new Found(load(cached), cached);
            return new Found(load(inRun), inRun);
        }
        if (cached == null)
            throw new IllegalArgumentException("vocab_size " + vocabSize + " is too small for a byte-level BPE tokenizer (at least "
                    + BpeTrainer.MIN_VOCAB + ")");
        if (Files.isRegularFile(cached)) {
            log.accept("tokenizer: reusing " + cached);
            return new Found(load(cached), cached);
        }
        log.accept("tokenizer: training a byte-level BPE with " + vocabSize + " entries on " + corpus + " ...");
        long t0 = System.nanoTime();
        HfTokenizer tok = BpeTrainer.train(Corpora.documents(corpus, textField), vocabSize);
        tok.save(cached);
        log.accept(String.format("tokenizer: trained in %.1f s, saved to %s", (System.nanoTime() - t0) / 1e9, cached));
        return new Found(load(cached), cached);
    }

    /** Copies the tokenizer into the run directory (atomically) unless it is already there. */
    public static void install(Found found, Path runDir) throws IOException {
        Path target = runDir.resolve(HfTokenizer.FILE);
        if (Files.exists(target) && Files.isSameFile(target, found.file())) return;
        AtomicFile.copy(found.file(), target);
    }

    private static HfTokenizer load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": tokenizer file not found");
        return HfTokenizer.load(file);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
