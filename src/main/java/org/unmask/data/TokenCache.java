package org.unmask.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.unmask.files.Staging;
import org.unmask.text.Tokenizer;

/**
 * Tokenised corpora kept as {@link TokenFile}s in a cache directory. A corpus is tokenised once and the file reused
 * while the corpus (paths, sizes and modification times of its files, or the shipped corpus's bytes), the text field
 * and the tokenizer file are unchanged; otherwise it is rebuilt and the outdated file removed.
 *
 * <p>File names are {@code SLUG-IDENTITY-KEY.tokens}: IDENTITY hashes what the user named (corpus, field, tokenizer
 * path), KEY hashes their content. Files are staged and renamed ({@link TokenFileWriter}), so a crash never leaves a
 * partial token file under the final name.
 */
public final class TokenCache {

    static final String EXTENSION = ".tokens";
    private static final int BATCH_DOCUMENTS = 512;
    private static final int BATCH_CHARS = 4 << 20;
    private static final String LEGACY_TEMP_SUFFIX = ".tmp";
    /** A temporary file untouched this long belongs to a run that died. */
    private static final Duration STALE_TEMP = Duration.ofHours(1);

    private TokenCache() {}

    /**
     * Tokenises once and reuses while corpus + tokenizer are unchanged (atomic). Documents are encoded without added
     * special tokens and each is followed by {@code separator} (see SpecialTokens#documentSeparator:
     * {@code <|endoftext|>}, BERT's [SEP], Llama 2's {@code </s>}). The tokenizer's {@code encode} is called from several threads at once.
     */
    public static TokenFile tokenized(String corpus, String textField, Tokenizer tok, Path tokenizerFile, Path cacheDir,
                                      int separator) throws IOException {
        Objects.requireNonNull(tok, "tokenizer");
        Objects.requireNonNull(tokenizerFile, "tokenizer file");
        Objects.requireNonNull(cacheDir, "cache directory");
        String field = textField == null || textField.isBlank() ? Corpora.DEFAULT_TEXT_FIELD : textField;
        int eos = Corpora.checkSeparator(separator, tok, tokenizerFile);
        if (!Files.isRegularFile(tokenizerFile)) throw new IOException("tokenizer file not found: " + tokenizerFile);

        String identity = hash(String.join("\n", "corpus=" + canonical(corpus), "field=" + field,
                "tokenizer=" + tokenizerFile.toAbsolutePath().normalize()));
        String key = hash(String.join("\n", "unmask token cache v" + TokenFile.VERSION,
                "corpus=" + Corpora.fingerprint(corpus), "field=" + field,
                "tokenizer=" + HexFormat.of().formatHex(Corpora.sha256().digest(Files.readAllBytes(tokenizerFile))),
                "vocab=" + tok.vocabSize(), "eos=" + eos));
        String prefix = slug(corpus) + "-" + identity.substring(0, 12) + "-";
        Path file = cacheDir.resolve(prefix + key.substring(0, 24) + EXTENSION);

        if (Files.isRegularFile(file)) {
            try {
                TokenFile cached = TokenFile.open(file);
                if (cached.vocabSize() == tok.vocabSize() && cached.separatorId() == eos) return cached;
                cached.close();
            } catch (IOException e) {
                System.err.println("token cache: rebuilding, " + e.getMessage());
            }
        }
        Files.createDirectories(cacheDir);
        removeOutdated(cacheDir, prefix, file);
        build(corpus, field, tok, eos, file);
        return TokenFile.open(file);
    }

    /** Tokenises every document into {@code file}, in batches encoded in parallel and written in corpus order. */
    private static void build(String corpus, String field, Tokenizer tok, int eos, Path file) throws IOException {
        Iterable<String> documents = Corpora.documents(corpus, field);
        try (TokenFileWriter out = TokenFileWriter.create(file, tok.vocabSize(), eos);
             Progress progress = Progress.start("Tokenising " + corpus)) {
            List<String> batch = new ArrayList<>();
            int chars = 0;
            try {
                for (String doc : documents) {
                    batch.add(doc);
                    chars += doc.length();
                    if (batch.size() >= BATCH_DOCUMENTS || chars >= BATCH_CHARS) {
                        writeBatch(batch, tok, eos, out, progress);
                        batch.clear();
                        chars = 0;
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            writeBatch(batch, tok, eos, out, progress);
            if (out.count() == 0) throw new IOException("corpus " + corpus + " has no documents");
            out.commit();
            progress.finish();
        }
    }

    private static void writeBatch(List<String> batch, Tokenizer tok, int eos, TokenFileWriter out, Progress progress)
            throws IOException {
        List<int[]> encoded = batch.parallelStream().map(doc -> tok.encode(doc, false)).toList();
        long tokens = 0;
        for (int[] ids : encoded) {
            out.write(ids);
            out.write(eos);
            tokens += ids.length + 1;
        }
        progress.step(batch.size(), tokens);
    }

    /** Deletes older token files of the same corpus, field and tokenizer path, and temporary files left by dead runs. */
    private static void removeOutdated(Path dir, String prefix, Path keep) throws IOException {
        Instant staleBefore = Instant.now().minus(STALE_TEMP);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, p -> isOurs(p.getFileName().toString(), prefix))) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                boolean outdated = name.startsWith(prefix) && name.endsWith(EXTENSION) && !p.equals(keep);
                // a temporary file may belong to another process tokenising the same corpus right now: only old ones go
                boolean staleTemp = isTemporary(name)
                        && Files.getLastModifiedTime(p).compareTo(FileTime.from(staleBefore)) < 0;
                if (outdated || staleTemp) Files.deleteIfExists(p);
            }
        }
    }

    private static boolean isOurs(String name, String prefix) {
        return name.startsWith(prefix) || name.startsWith("." + prefix);
    }

    /** A staged token file ({@link Staging}), or one of the {@code NAME.RANDOM.tmp} files that older versions wrote. */
    private static boolean isTemporary(String name) {
        return Staging.isLeftover(name) || name.endsWith(LEGACY_TEMP_SUFFIX);
    }

    private static String canonical(String corpus) {
        return corpus.equals(Corpora.DEFAULT) ? Corpora.DEFAULT + ":train" : Corpora.absolute(corpus);
    }

    private static String slug(String corpus) {
        String base = Corpora.isDefault(corpus) ? canonical(corpus) : String.valueOf(Path.of(corpus).toAbsolutePath().normalize().getFileName());
        String s = base.replaceAll("[^A-Za-z0-9._-]+", "_");
        return s.length() > 40 ? s.substring(0, 40) : s;
    }

    private static String hash(String text) {
        MessageDigest sha = Corpora.sha256();
        return HexFormat.of().formatHex(sha.digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
