package org.unmask.cli;

import org.unmask.text.BpeTrainer;
import org.unmask.text.HfTokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/** {@code unmask tokenizer ...}: tokenizer tools. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true, description = "Tokenizer tools.", subcommands = {TokenizerCommand.Train.class})
public final class TokenizerCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    /** {@code unmask tokenizer train}: byte-level BPE with the Llama-3 split and our special tokens at ids 0..5. */
    @Command(name = "train", mixinStandardHelpOptions = true, description = "Train a byte-level BPE tokenizer and save it as tokenizer.json.")
    static final class Train implements Callable<Integer> {

        @Spec CommandSpec spec;

        @Option(names = "--corpus", required = true, description = "Text file, directory of text files, or .gz file.")
        String corpus;

        @Option(names = "--vocab-size", required = true, description = "Vocabulary size, special and byte tokens included.")
        int vocabSize;

        @Option(names = "--out", required = true, description = "Output tokenizer.json.")
        Path out;

        @Override public Integer call() throws IOException {
            if (vocabSize < BpeTrainer.MIN_VOCAB)
                throw new CommandLine.ParameterException(spec.commandLine(), "--vocab-size must be at least "
                        + BpeTrainer.MIN_VOCAB + " (6 special tokens + 256 bytes), got " + vocabSize);
            List<Path> files = corpusFiles(corpus);
            long start = System.nanoTime();
            HfTokenizer tok;
            try {
                tok = BpeTrainer.train(() -> new FileDocuments(files), vocabSize);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            tok.save(out);
            System.out.printf("trained %d tokens from %d file(s) in %.1f s -> %s%n", tok.vocabSize(), files.size(),
                    (System.nanoTime() - start) / 1e9, out);
            return 0;
        }
    }

    /** The text files of a corpus path: the file itself, or every regular file under a directory in name order. */
    static List<Path> corpusFiles(String corpus) throws IOException {
        Path p = Path.of(corpus);
        if (!Files.exists(p)) throw new IOException("corpus not found: " + corpus);
        if (Files.isRegularFile(p)) return List.of(p);
        try (Stream<Path> s = Files.walk(p)) {
            List<Path> files = s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted().toList();
            if (files.isEmpty()) throw new IOException("corpus directory has no files: " + corpus);
            return files;
        }
    }

    /** One document per file, read lazily as strict UTF-8 (gunzipped when the name ends in .gz). */
    private static final class FileDocuments implements Iterator<String> {
        private final List<Path> files;
        private int next;

        FileDocuments(List<Path> files) { this.files = files; }

        @Override public boolean hasNext() { return next < files.size(); }

        @Override public String next() {
            if (!hasNext()) throw new NoSuchElementException();
            Path f = files.get(next++);
            try (InputStream raw = Files.newInputStream(f);
                 InputStream in = f.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                 BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                         .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)))) {
                StringBuilder sb = new StringBuilder();
                char[] buf = new char[1 << 16];
                for (int n; (n = r.read(buf)) > 0; ) sb.append(buf, 0, n);
                return sb.toString();
            } catch (CharacterCodingException e) {
                throw new UncheckedIOException(new IOException(f + ": not valid UTF-8 text"));
            } catch (IOException e) {
                throw new UncheckedIOException(new IOException(f + ": " + e.getMessage(), e));
            }
        }
    }
}
