package org.unmask.text;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Errors on bad tokenizer.json files, and the regex translation on the patterns that differ between dialects. */
class TokenizerFormatTest {

    private static Path write(Path dir, String json) throws Exception {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, json);
        return f;
    }

    private static final String MODEL = "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\"]}";

    @Test
    void unknownComponentTypeNamesTheTypeAndTheFile(@TempDir Path dir) throws Exception {
        Path f = write(dir, "{\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}, " + MODEL + "}");
        assertThatThrownBy(() -> HfTokenizer.load(f)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("normalizer type 'Precompiled'");
        Path g = write(dir, "{\"pre_tokenizer\": {\"type\": \"UnicodeScripts\"}, " + MODEL + "}");
        assertThatThrownBy(() -> HfTokenizer.load(g)).hasMessageContaining("pre_tokenizer type 'UnicodeScripts'");
        Path m = write(dir, "{\"pre_tokenizer\": {\"type\": \"Metaspace\", \"prepend_scheme\": \"sometimes\"}, " + MODEL + "}");
        assertThatThrownBy(() -> HfTokenizer.load(m)).hasMessageContaining(m.toString())
                .hasMessageContaining("prepend_scheme must be always, first or never, got 'sometimes'");
        Path h = write(dir, "{\"model\": {\"type\": \"Unigram\", \"vocab\": {}}}");
        assertThatThrownBy(() -> HfTokenizer.load(h)).hasMessageContaining("model type 'Unigram'");
    }

    @Test
    void inconsistentMergesAndBadJsonAreReported(@TempDir Path dir) throws Exception {
        Path f = write(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}");
        assertThatThrownBy(() -> HfTokenizer.load(f)).hasMessageContaining("merge 1 'a b' uses 'ab'");
        Path g = write(dir, "{\"model\": ");
        assertThatThrownBy(() -> HfTokenizer.load(g)).hasMessageContaining("invalid JSON").hasMessageContaining(g.toString());
        assertThatThrownBy(() -> HfTokenizer.load(dir.resolve("missing.json"))).hasMessageContaining("missing.json");
    }

    @Test
    void bothMergeFormsGiveTheSameTokenizer(@TempDir Path dir) throws Exception {
        HfTokenizer strings = HfTokenizer.load(write(dir, "{" + MODEL + "}"));
        HfTokenizer pairs = HfTokenizer.load(write(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [[\"a\", \"b\"]]}}"));
        assertThat(strings.encode("aab", false)).containsExactly(0, 2).isEqualTo(pairs.encode("aab", false));
        // Without a decoder, tokens are joined with spaces.
        assertThat(strings.decode(new int[] {0, 2}, false)).isEqualTo("a ab");
    }

    @Test
    void unicodeWhitespaceAndCaseFoldingFollowOniguruma() {
        var p = Regexes.compile(Regexes.LLAMA3);
        // NBSP and the ideographic space are \s for Oniguruma, not for Java's default \s.
        assertThat(split(p, "a\u00a0\u00a0b")).containsExactly("a", "\u00a0", "\u00a0b");
        assertThat(split(p, "x\u3000\u3000\u3000")).containsExactly("x", "\u3000\u3000\u3000");
        // (?i:'s) matches upper case contractions.
        assertThat(split(p, "IT'S")).containsExactly("IT", "'S");
        assertThat(split(p, "1234567")).containsExactly("123", "456", "7");
        assertThat(split(p, "a  \n\n b")).containsExactly("a", "  \n\n", " b");
        assertThat(Regexes.translate("[^\\s\\p{L}]")).doesNotContain("\\s");
        assertThat(split(Regexes.compile(Regexes.GPT2), "hello   world")).containsExactly("hello", "  ", " world");
    }

    @Test
    void otherPublishedPatternsCompileAndSplit() {
        // The o200k-style pattern: case classes, optional contractions, possessive-free alternatives.
        var p = Regexes.compile("[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
        assertThat(split(p, "HelloWorld it's")).containsExactly("Hello", "World", " it's");
        // Script properties take Java's "Is" prefix; \\p{^X} is a negation.
        assertThat(split(Regexes.compile("\\p{Han}+|\\p{^Han}+"), "ab日本c")).containsExactly("ab", "日本", "c");
    }

    private static List<String> split(java.util.regex.Pattern p, String s) {
        List<String> out = new ArrayList<>();
        PreTokenizer.splitOnPattern(s, p, PreTokenizer.Behavior.ISOLATED, false, out);
        return out;
    }

    @Test
    void splitBehaviours() {
        var p = java.util.regex.Pattern.compile("-");
        List<String> out = new ArrayList<>();
        PreTokenizer.splitOnPattern("a-b--c", p, PreTokenizer.Behavior.MERGED_WITH_PREVIOUS, false, out);
        assertThat(out).containsExactly("a-", "b-", "-", "c");
        out.clear();
        PreTokenizer.splitOnPattern("a-b--c", p, PreTokenizer.Behavior.MERGED_WITH_NEXT, false, out);
        assertThat(out).containsExactly("a", "-b", "-", "-c");
        out.clear();
        PreTokenizer.splitOnPattern("a-b--c", p, PreTokenizer.Behavior.CONTIGUOUS, false, out);
        assertThat(out).containsExactly("a", "-", "b", "--", "c");
        out.clear();
        PreTokenizer.splitOnPattern("a-b--c", p, PreTokenizer.Behavior.REMOVED, false, out);
        assertThat(out).containsExactly("a", "b", "c");
        out.clear();
        PreTokenizer.splitOnPattern("a-b--c", p, PreTokenizer.Behavior.REMOVED, true, out);
        assertThat(out).containsExactly("-", "-", "-");
    }
}
