package org.unmask.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Training text sources. A corpus is named by a path or by {@code default} (the shipped training split),
 * {@code default:train} or {@code default:valid}. A path is a text file (documents separated by blank lines), a JSONL
 * file (one document per line, in the string field {@code textField}), either of them gzipped ({@code .gz}), or a
 * directory, read recursively in sorted order, of {@code *.txt}, {@code *.jsonl} and {@code *.gz} files (hidden files
 * skipped). A file that happens to be called {@code default} is named {@code ./default}.
 *
 * <p>Documents are read lazily; malformed JSONL surfaces during iteration as a {@link CorpusFormatException} naming the
 * file and line, and a read error as an {@link java.io.UncheckedIOException} naming the file.
 */
public final class Corpora {

    /** The name of the shipped corpus (training split). */
    public static final String DEFAULT = "default";
    /** The JSONL field read when none is given. */
    public static final String DEFAULT_TEXT_FIELD = "text";

    private static final String RESOURCE_DIR = "corpus/";

    private Corpora() {}

    /** One input of a corpus: a file, or a resource of the shipped corpus. */
    record Source(String name, Path file, String resource) {

        private String lowerFileName() {
            return (file != null ? file.getFileName().toString() : resource).toLowerCase(Locale.ROOT);
        }

        boolean jsonl() {
            String n = lowerFileName();
            return n.endsWith(".jsonl") || n.endsWith(".jsonl.gz");
        }

        InputStream open() throws IOException {
            InputStream raw;
            if (file != null) {
                raw = Files.newInputStream(file);
            } else {
                raw = Corpora.class.getResourceAsStream(RESOURCE_DIR + resource);
                if (raw == null) throw new IOException("the shipped corpus resource " + resource + " is missing from the build");
            }
            if (lowerFileName().endsWith(".gz")) {
                try {
                    return new GZIPInputStream(raw, 1 << 16);
                } catch (IOException e) {
                    raw.close();
                    throw new IOException(name + ": not a gzip file (" + e.getMessage() + ")", e);
                }
            }
            return raw;
        }
    }

    /** Documents of a text file, directory, .gz, JSONL ({@code textField}) or "default" (shipped). */
    public static Iterable<String> documents(String pathOrDefault, String textField) throws IOException {
        List<Source> sources = sources(pathOrDefault);
        String field = textField == null || textField.isBlank() ? DEFAULT_TEXT_FIELD : textField;
        return () -> new DocumentIterator(sources, field);
    }

    /**
     * The bytes of {@code documents} as a plain-text corpus, the denominator of bits per byte: each document's UTF-8
     * bytes and the blank line (2 bytes) after it, which the token stream's document separator stands for.
     */
    public static long textBytes(Iterable<String> documents) {
        long n = 0;
        for (String doc : documents) n += doc.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 2;
        return n;
    }

    /**
     * The token stream of {@code documents} as training sees it: each document encoded without added special tokens
     * and followed by {@code separator} (see SpecialTokens#documentSeparator and {@link #checkSeparator}).
     */
    public static int[] encode(Iterable<String> documents, org.unmask.text.Tokenizer tok, int separator) {
        java.util.stream.IntStream.Builder out = java.util.stream.IntStream.builder();
        for (String doc : documents) {
            for (int id : tok.encode(doc, false)) out.add(id);
            out.add(separator);
        }
        return out.build().toArray();
    }

    /**
     * {@code separator} when it is a token of {@code tok}: the id that separates documents (SpecialTokens#documentSeparator),
     * checked once where a corpus is tokenized or scored.
     */
    public static int checkSeparator(int separator, org.unmask.text.Tokenizer tok, Object tokenizerName) {
        if (separator < 0 || separator >= tok.vocabSize())
            throw new IllegalArgumentException("the end-of-text id " + separator + " that separates documents is not a token of "
                    + tokenizerName + " (" + tok.vocabSize() + " tokens)");
        return separator;
    }

    /** True when {@code corpus} names the shipped corpus ({@code default}, {@code default:train}, {@code default:valid}). */
    public static boolean isDefault(String corpus) {
        return corpus.equals(DEFAULT) || corpus.startsWith(DEFAULT + ":");
    }

    /** {@code corpus} as a run records it, independent of the working directory: the shipped corpus's names as given, a path absolute. */
    public static String absolute(String corpus) {
        return isDefault(corpus) ? corpus : Path.of(corpus).toAbsolutePath().normalize().toString();
    }

    /**
     * A digest that changes whenever the corpus's content may have changed: over each file's path, size and
     * modification time (and the file list itself) for paths, over the bytes for the shipped corpus.
     */
    public static String fingerprint(String pathOrDefault) throws IOException {
        MessageDigest sha = sha256();
        for (Source s : sources(pathOrDefault)) {
            sha.update((s.name() + "\n").getBytes(StandardCharsets.UTF_8));
            if (s.file() != null) {
                String stat = Files.size(s.file()) + " " + Files.getLastModifiedTime(s.file()).toInstant() + "\n";
                sha.update(stat.getBytes(StandardCharsets.UTF_8));
            } else {
                try (InputStream in = Corpora.class.getResourceAsStream(RESOURCE_DIR + s.resource())) {
                    if (in == null) throw new IOException("the shipped corpus resource " + s.resource() + " is missing from the build");
                    sha.update(in.readAllBytes());
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The split a name of the shipped corpus denotes: "train" for {@code default}, else what follows the colon. */
    static String defaultSplit(String name) {
        return name.equals(DEFAULT) ? "train" : name.substring(DEFAULT.length() + 1);
    }

    /** The inputs of a corpus in reading order; fails with a clear message when there are none. */
    static List<Source> sources(String pathOrDefault) throws IOException {
        if (pathOrDefault == null || pathOrDefault.isBlank()) throw new IllegalArgumentException("no corpus given");
        if (isDefault(pathOrDefault)) {
            String split = defaultSplit(pathOrDefault);
            if (!split.equals("train") && !split.equals("valid")) {
                throw new IllegalArgumentException("unknown split of the default corpus: \"" + split + "\" (use default:train or default:valid)");
            }
            String resource = split + ".txt.gz";
            return List.of(new Source(DEFAULT + ":" + split + " (" + resource + ")", null, resource));
        }
        Path path = Path.of(pathOrDefault);
        if (Files.isDirectory(path)) {
            List<Source> files;
            try (Stream<Path> walk = Files.walk(path)) {
                files = walk.filter(Files::isRegularFile)
                        .filter(p -> isCorpusFile(p.getFileName().toString()))
                        .sorted()
                        .map(p -> new Source(p.toString(), p, null))
                        .toList();
            }
            if (files.isEmpty()) throw new IOException("corpus directory " + path + " holds no *.txt, *.jsonl or *.gz files");
            return files;
        }
        if (!Files.isRegularFile(path)) throw new NoSuchFileException(pathOrDefault, null, "corpus not found (not a file, a directory or \"default\")");
        return List.of(new Source(path.toString(), path, null));
    }

    private static boolean isCorpusFile(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && (n.endsWith(".txt") || n.endsWith(".jsonl") || n.endsWith(".gz"));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    /** Walks the sources one after another, opening each when it is reached and closing it when exhausted. */
    private static final class DocumentIterator implements Iterator<String> {
        private final Iterator<Source> sources;
        private final String textField;
        private BufferedReader reader;
        private Iterator<String> current;

        DocumentIterator(List<Source> sources, String textField) {
            this.sources = sources.iterator();
            this.textField = textField;
        }

        @Override
        public boolean hasNext() {
            while (current == null || !current.hasNext()) {
                closeCurrent();
                if (!sources.hasNext()) return false;
                Source s = sources.next();
                try {
                    reader = new BufferedReader(new InputStreamReader(s.open(), StandardCharsets.UTF_8), 1 << 16);
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
                current = s.jsonl() ? new JsonlDocuments(reader, s.name(), textField) : new TextDocuments(reader, s.name());
            }
            return true;
        }

        @Override
        public String next() {
            if (!hasNext()) throw new NoSuchElementException();
            return current.next();
        }

        private void closeCurrent() {
            if (reader == null) return;
            try {
                reader.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            } finally {
                reader = null;
                current = null;
            }
        }
    }
}
