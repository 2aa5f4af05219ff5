package org.unmask.cli;

import org.unmask.text.HfTokenizer;
import org.unmask.text.TruncationPadding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code unmask tokenize}: ids of each input line, or with --decode the text of each line of ids. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Print the token ids of each input line (or decode lines of ids). The truncation and padding sections of tokenizer.json apply as in the Hugging Face library (padding to the longest pads to the longest line of the input).")
public final class TokenizeCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, description = "tokenizer.json file.")
    Path tokenizer;

    @Option(names = "--input", required = true, description = "Input text file, one sequence per line ('-' = stdin).")
    String input;

    @Option(names = "--add-special-tokens", description = "Apply the post-processor (BOS, [CLS]/[SEP], ...).")
    boolean addSpecialTokens;

    @Option(names = "--decode", description = "Read lines of space-separated ids and print their text.")
    boolean decode;

    @Option(names = "--skip-special-tokens", description = "With --decode: leave special tokens out of the text.")
    boolean skipSpecialTokens;

    @Option(names = "--pairs", description = "Each input line is a pair of sequences separated by a tab, encoded together"
            + " (the post-processor's pair template; truncation shares max_length between the two).")
    boolean pairs;

    @Option(names = "--type-ids", description = "After each line of ids, a line of their token type ids (1 for a pair's second"
            + " sequence under BERT-style templates).")
    boolean typeIds;

    @Option(names = "--overflow", description = "Also print the windows that truncation cut off, each on a line after its sequence's"
            + " (the library's overflowing encodings).")
    boolean overflow;

    @Override public Integer call() throws IOException {
        HfTokenizer tok = HfTokenizer.load(tokenizer);
        TruncationPadding tp = tok.truncationPadding();
        // padding to the batch's longest needs every line first: the input is then one batch, as encode_batch sees it
        boolean wholeBatch = tp.padding() != null && tp.padding().fixed() == null;
        if (decode && (pairs || typeIds)) throw new IllegalArgumentException("--pairs and --type-ids apply to encoding, not to --decode");
        List<String> batch = new ArrayList<>(), second = new ArrayList<>();
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        int lineNo = 0;
        try (BufferedReader in = open(input)) {
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (decode) {
                    out.write(tok.decode(parseIds(line, lineNo, tok), skipSpecialTokens));
                    out.write('\n');
                } else if (tp.truncation() == null && tp.padding() == null && !pairs && !typeIds) {
                    writeIds(out, tok.encode(line, addSpecialTokens));
                    out.write('\n');
                } else {
                    if (pairs) {
                        int tab = line.indexOf('\t');
                        if (tab < 0) throw new IOException(input + " line " + lineNo + ": --pairs needs two sequences separated by a tab");
                        batch.add(line.substring(0, tab));
                        second.add(line.substring(tab + 1));
                    } else {
                        batch.add(line);
                    }
                    if (!wholeBatch) write(out, tok, batch, second);
                }
            }
            write(out, tok, batch, second);
        } catch (CharacterCodingException e) {
            throw new IOException(input + " line " + (lineNo + 1) + ": not valid UTF-8 text");
        } finally {
            out.flush();
        }
        return 0;
    }

    /**
     * Encodes the lines of {@code batch} (with their pairs in {@code second} under --pairs) with the tokenizer's
     * truncation and padding, prints them and clears the batch.
     */
    private void write(Writer out, HfTokenizer tok, List<String> batch, List<String> second) throws IOException {
        if (batch.isEmpty()) return;
        for (TruncationPadding.Encoding e : tok.encodeBatch(batch, pairs ? second : null, addSpecialTokens)) {
            write(out, e);
            if (overflow) for (TruncationPadding.Encoding o : e.overflowing()) write(out, o);
        }
        batch.clear();
        second.clear();
    }

    private void write(Writer out, TruncationPadding.Encoding e) throws IOException {
        writeIds(out, e.ids());
        out.write('\n');
        if (typeIds) {
            writeIds(out, e.typeIds());
            out.write('\n');
        }
    }

    private static BufferedReader open(String input) throws IOException {
        InputStream in;
        if (input.equals("-")) {
            in = System.in;
        } else {
            try {
                in = Files.newInputStream(Path.of(input));
            } catch (NoSuchFileException e) {
                throw new IOException("input file not found: " + input);
            }
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16);
    }

    private int[] parseIds(String line, int lineNo, HfTokenizer tok) throws IOException {
        String trimmed = line.strip();
        if (trimmed.isEmpty()) return new int[0];
        String[] parts = trimmed.split("\\s+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            int id;
            try {
                id = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IOException(input + " line " + lineNo + ": '" + parts[i] + "' is not a token id");
            }
            if (!tok.isKnownId(id))
                throw new IOException(input + " line " + lineNo + ": token id " + id + " is out of range (vocabulary size "
                        + tok.vocabSize() + ")");
            ids[i] = id;
        }
        return ids;
    }

    private static void writeIds(Writer out, int[] ids) throws IOException {
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) out.write(' ');
            out.write(Integer.toString(ids[i]));
        }
    }
}
