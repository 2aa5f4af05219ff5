package org.unmask.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorporaTest {

    @TempDir
    Path dir;

    static List<String> list(Iterable<String> docs) {
        List<String> out = new ArrayList<>();
        docs.forEach(out::add);
        return out;
    }

    /** Document and character counts the builder recorded in the shipped README's size table. */
    static long[] readmeSizes(String split) throws IOException {
        String readme;
        try (InputStream in = Corpora.class.getResourceAsStream("corpus/README.md")) {
            assertThat(in).as("shipped README").isNotNull();
            readme = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("\\| " + split + " \\| (\\d+) \\| (\\d+) \\|").matcher(readme);
        assertThat(m.find()).as("size row for " + split).isTrue();
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    @Test
    void shippedCorpusHasTheDocumentedDisjointSplits() throws IOException {
        List<String> train = list(Corpora.documents("default", null));
        List<String> valid = list(Corpora.documents("default:valid", "text"));
        assertThat(list(Corpora.documents("default:train", null))).hasSameSizeAs(train);

        for (var split : List.of(List.<Object>of("train", train), List.<Object>of("valid", valid))) {
            @SuppressWarnings("unchecked") List<String> docs = (List<String>) split.get(1);
            long[] expected = readmeSizes((String) split.get(0));
            long chars = docs.stream().mapToLong(d -> d.codePointCount(0, d.length())).sum() + 2L * (docs.size() - 1) + 1;
            assertThat(docs).hasSize((int) expected[0]);
            assertThat(chars).as("characters incl. separators").isEqualTo(expected[1]);
        }
        assertThat(train.size()).isGreaterThan(10 * valid.size());
        assertThat(train.getFirst()).startsWith("In the beginning, God created the heavens and the earth.");
        assertThat(valid.getFirst()).startsWith("In the days when the judges judged"); // Ruth 1 is held out
        assertThat(String.join("\n", train)).contains("The Fulton County Grand Jury said Friday");

        Set<String> trainSet = new HashSet<>(train);
        assertThat(valid).noneMatch(trainSet::contains);
        assertThat(train).noneMatch(d -> d.contains("In the days when the judges judged"));

        // Plausible English prose: mostly letters and spaces, "the" the most common word, no markup left over.
        String sample = String.join(" ", valid);
        long letters = sample.chars().filter(c -> Character.isLetter(c) || c == ' ').count();
        assertThat((double) letters / sample.length()).isGreaterThan(0.9);
        assertThat(sample).doesNotContain("<w ", "</", "lemma=", "/nn", "``");
        long the = Pattern.compile("\\bthe\\b").matcher(sample).results().count();
        long and = Pattern.compile("\\band\\b").matcher(sample).results().count();
        assertThat(the).isGreaterThan(and).isGreaterThan(sample.length() / 100);
    }

    @Test
    void shippedFilesAreReproducibleGzip() throws IOException {
        for (String name : List.of("train.txt.gz", "valid.txt.gz")) {
            byte[] head;
            try (InputStream in = Corpora.class.getResourceAsStream("corpus/" + name)) {
                assertThat(in).as(name).isNotNull();
                head = in.readNBytes(10);
            }
            assertThat(head[0] & 0xff).isEqualTo(0x1f);
            assertThat(head[1] & 0xff).isEqualTo(0x8b);
            assertThat(head[3]).as("no file name or other optional fields").isZero();
            assertThat(new byte[] {head[4], head[5], head[6], head[7]}).as("no timestamp").containsOnly(0);
        }
    }

    @Test
    void unknownDefaultSplitIsRejected() {
        assertThatThrownBy(() -> Corpora.documents("default:test", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("default:valid");
    }

    @Test
    void textFileDocumentsAreBlankLineSeparatedBlocks() throws IOException {
        Path f = dir.resolve("a.txt");
        Files.writeString(f, "\uFEFFfirst line\r\nsecond line\r\n\r\n\r\n  \t \nthird\n\n\nfourth\nend");
        assertThat(list(Corpora.documents(f.toString(), null)))
                .containsExactly("first line\nsecond line", "third", "fourth\nend");
    }

    @Test
    void gzipAndJsonlAreRead() throws IOException {
        Path gz = dir.resolve("b.txt.gz");
        gzip(gz, "one\n\ntwo\n");
        assertThat(list(Corpora.documents(gz.toString(), null))).containsExactly("one", "two");

        Path jsonl = dir.resolve("c.jsonl");
        Files.writeString(jsonl, "{\"body\": \"x y\", \"text\": \"ignored\"}\n\n{\"body\": \"line\\n\\nbreaks kept\"}\n{\"body\": \"\"}\n");
        assertThat(list(Corpora.documents(jsonl.toString(), "body"))).containsExactly("x y", "line\n\nbreaks kept");

        Path jsonlGz = dir.resolve("d.jsonl.gz");
        gzip(jsonlGz, "{\"text\": \"zipped\"}\n");
        assertThat(list(Corpora.documents(jsonlGz.toString(), null))).containsExactly("zipped");
    }

    @Test
    void directoriesAreReadRecursivelyInSortedOrder() throws IOException {
        Files.createDirectories(dir.resolve("sub/deeper"));
        Files.writeString(dir.resolve("b.txt"), "b1\n\nb2");
        Files.writeString(dir.resolve("a.jsonl"), "{\"text\": \"a\"}");
        Files.writeString(dir.resolve("sub/deeper/c.txt"), "c");
        gzip(dir.resolve("sub/a.txt.gz"), "sub-a");
        Files.writeString(dir.resolve("notes.md"), "not corpus");
        Files.writeString(dir.resolve(".hidden.txt"), "hidden");
        assertThat(list(Corpora.documents(dir.toString(), null))).containsExactly("a", "b1", "b2", "sub-a", "c");
    }

    @Test
    void malformedJsonlNamesFileAndLine() throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"text\": \"ok\"}\n{\"other\": 1}\n");
        assertThatThrownBy(() -> list(Corpora.documents(f.toString(), "text")))
                .isInstanceOf(CorpusFormatException.class).hasMessage(f + ":2: missing field \"text\"");

        Files.writeString(f, "{\"text\": \"ok\"}\n\n{\"text\": \"unterminated}\n");
        assertThatThrownBy(() -> list(Corpora.documents(f.toString(), null)))
                .isInstanceOf(CorpusFormatException.class).hasMessageStartingWith(f + ":3: malformed JSON");

        Files.writeString(f, "{\"text\": 42}\n");
        assertThatThrownBy(() -> list(Corpora.documents(f.toString(), null)))
                .hasMessage(f + ":1: field \"text\" is a number, expected a string");

        Files.writeString(f, "[\"text\"]\n");
        assertThatThrownBy(() -> list(Corpora.documents(f.toString(), null)))
                .hasMessage(f + ":1: expected a JSON object, found an array");

        Files.writeString(f, "{\"text\": \"a\"} {\"text\": \"b\"}\n");
        assertThatThrownBy(() -> list(Corpora.documents(f.toString(), null)))
                .hasMessageStartingWith(f + ":1: malformed JSON");
    }

    @Test
    void missingOrEmptyInputsGiveClearErrors() throws IOException {
        assertThatThrownBy(() -> Corpora.documents(dir.resolve("nope.txt").toString(), null))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("nope.txt").hasMessageContaining("corpus not found");
        Files.writeString(dir.resolve("readme.md"), "x");
        assertThatThrownBy(() -> Corpora.documents(dir.toString(), null))
                .isInstanceOf(IOException.class).hasMessageContaining("holds no *.txt, *.jsonl or *.gz files");
        Path notGzip = dir.resolve("fake.gz");
        Files.writeString(notGzip, "plain");
        assertThatThrownBy(() -> list(Corpora.documents(notGzip.toString(), null))).hasMessageContaining("fake.gz: not a gzip file");
    }

    @Test
    void fingerprintFollowsFileListSizeAndModificationTime() throws IOException {
        Path f = dir.resolve("a.txt");
        Files.writeString(f, "hello");
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000));
        String first = Corpora.fingerprint(dir.toString());
        assertThat(Corpora.fingerprint(dir.toString())).isEqualTo(first);

        Files.setLastModifiedTime(f, FileTime.fromMillis(2_000_000));
        String touched = Corpora.fingerprint(dir.toString());
        assertThat(touched).isNotEqualTo(first);

        Files.writeString(dir.resolve("b.txt"), "more");
        assertThat(Corpora.fingerprint(dir.toString())).isNotEqualTo(touched);
        assertThat(Corpora.fingerprint("default")).isNotEqualTo(Corpora.fingerprint("default:valid"));
    }

    static void gzip(Path file, String text) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
