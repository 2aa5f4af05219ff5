package org.unmask.cli;

import org.unmask.data.Corpora;
import org.unmask.text.BpeTrainer;
import org.unmask.text.HfTokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code unmask tokenizer ...}: tokenizer tools. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true, description = "Tokenizer tools.", subcommands = {TokenizerCommand.Train.class})
public final class TokenizerCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    /** {@code unmask tokenizer train}: byte-level BPE with the Llama-3 split and our special tokens at ids 0..5. */
    @Command(name = "train", mixinStandardHelpOptions = true, description = "Train a byte-level BPE tokenizer and save it as tokenizer.json.")
    static final class Train implements Callable<Integer> {

        @Spec CommandSpec spec;

        @Option(names = "--corpus", required = true,
                description = "Text file, directory, .gz, JSONL, or 'default' (the shipped corpus).")
        String corpus;

        @Option(names = "--text-field", defaultValue = "text", description = "JSONL field holding the text (default: text).")
        String textField;

        @Option(names = "--vocab-size", required = true, description = "Vocabulary size, special and byte tokens included.")
        int vocabSize;

        @Option(names = "--out", required = true, description = "Output tokenizer.json.")
        Path out;

        @Override public Integer call() throws IOException {
            if (vocabSize < BpeTrainer.MIN_VOCAB)
                throw new CommandLine.ParameterException(spec.commandLine(), "--vocab-size must be at least "
                        + BpeTrainer.MIN_VOCAB + " (6 special tokens + 256 bytes), got " + vocabSize);
            Iterable<String> documents = Corpora.documents(corpus, textField);
            long start = System.nanoTime();
            HfTokenizer tok;
            try {
                tok = BpeTrainer.train(documents, vocabSize);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            tok.save(out);
            System.out.printf("trained %d tokens from %s in %.1f s -> %s%n", tok.vocabSize(), corpus,
                    (System.nanoTime() - start) / 1e9, out);
            return 0;
        }
    }

}
