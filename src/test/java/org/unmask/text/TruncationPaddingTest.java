package org.unmask.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The truncation and padding sections of tokenizer.json, with expectations written from the Hugging Face tokenizers
 * library's documented behaviour (TruncationParams, PaddingParams, Encoding::truncate / pad): truncation keeps
 * max_length minus the post-processor's special tokens, cut from the direction's end, the rest overflowing in
 * windows overlapping by stride; special tokens go around every part; padding fills to the fixed length or the
 * batch's longest, rounded up to pad_to_multiple_of, on its side, with attention mask 0.
 */
class TruncationPaddingTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int CLS = 2, SEP = 3;

    /** The WordPiece fixture ([CLS] = 2, [SEP] = 3) with the given sections. */
    static HfTokenizer tokenizer(String truncation, String padding) throws Exception {
        ObjectNode tree = (ObjectNode) JSON.readTree(Path.of("src/test/resources/tokenizers/wordpiece-uncased.json").toFile());
        tree.set("truncation", JSON.readTree(truncation));
        tree.set("padding", JSON.readTree(padding));
        return HfTokenizer.fromJson(tree, "test tokenizer.json");
    }

    static int[] cat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    static int[] range(int[] a, int from, int to) { return Arrays.copyOfRange(a, from, to); }

    static final String TEXT = "the cat sat on the mat and the dog ran";

    /**
     * The ids the library tokenizes under truncation to {@code max}: whole words from the start (or from the end),
     * until their count reaches {@code max}; what is cut beyond them never overflows.
     */
    static int[] tokenizedUpTo(HfTokenizer t, String text, int max, boolean fromEnd) {
        String[] words = text.split(" ");
        for (int k = 1; k <= words.length; k++) {
            String part = String.join(" ", fromEnd ? Arrays.copyOfRange(words, words.length - k, words.length) : Arrays.copyOfRange(words, 0, k));
            int[] ids = t.encode(part, false);
            if (ids.length >= max) return ids;
        }
        return t.encode(text, false);
    }

    @Test void truncationLeavesRoomForTheSpecialTokensAndOverflowsInStridedWindows() throws Exception {
        HfTokenizer t = tokenizer("{\"max_length\": 6, \"strategy\": \"LongestFirst\", \"stride\": 1, \"direction\": \"Right\"}", "null");
        int[] all = t.encode(TEXT, false), raw = tokenizedUpTo(t, TEXT, 6, false);
        assertThat(all.length).isGreaterThan(10);
        assertThat(raw.length).isBetween(6, all.length - 1);
        assertThat(raw).containsExactly(range(all, 0, raw.length));
        TruncationPadding.Encoding e = t.encodeBatch(List.of(TEXT), true).getFirst();
        // 6 − 2 special tokens = 4 raw ids kept; windows start every 4 − 1 = 3 ids
        assertThat(e.ids()).containsExactly(cat(new int[]{CLS}, range(raw, 0, 4), new int[]{SEP}));
        assertThat(e.overflowing().getFirst().ids()).containsExactly(cat(new int[]{CLS}, range(raw, 3, Math.min(7, raw.length)), new int[]{SEP}));
        int windows = 1 + e.overflowing().size(), n = raw.length;
        // the last window ends at the last id tokenized; every window but the last starts 3 after the one before
        assertThat(windows).isEqualTo(1 + (int) Math.ceil((n - 4) / 3.0));
        int[] last = e.overflowing().getLast().ids();
        assertThat(last[last.length - 2]).isEqualTo(raw[n - 1]);
        // without special tokens the whole max_length is kept
        TruncationPadding.Encoding bare = t.encodeBatch(List.of(TEXT), false).getFirst();
        assertThat(bare.ids()).containsExactly(range(raw, 0, 6));
        // what overflows is only what was tokenized beyond 6: the rest of the word that reached 6
        if (raw.length == 6) assertThat(bare.overflowing()).isEmpty();
        else assertThat(bare.overflowing().getFirst().ids()).containsExactly(range(raw, 5, raw.length));
        // a short text is left alone
        assertThat(t.encodeBatch(List.of("the cat"), true).getFirst().overflowing()).isEmpty();
    }

    @Test void leftTruncationKeepsTheEnd() throws Exception {
        HfTokenizer t = tokenizer("{\"max_length\": 5, \"strategy\": \"OnlyFirst\", \"stride\": 0, \"direction\": \"Left\"}", "null");
        int[] raw = tokenizedUpTo(t, TEXT, 5, true);
        int n = raw.length;
        int[] all = t.encode(TEXT, false);
        assertThat(raw).containsExactly(range(all, all.length - n, all.length));
        TruncationPadding.Encoding e = t.encodeBatch(List.of(TEXT), true).getFirst();
        assertThat(e.ids()).containsExactly(cat(new int[]{CLS}, range(raw, n - 3, n), new int[]{SEP}));
        assertThat(e.overflowing().getFirst().ids()).containsExactly(cat(new int[]{CLS}, range(raw, Math.max(0, n - 6), n - 3), new int[]{SEP}));
        assertThat(e.overflowing().getLast().ids()[1]).isEqualTo(raw[0]);   // the windows reach the first id tokenized
    }

    @Test void aPairSharesMaxLengthLongestFirstAndTheSecondIsOfType1() throws Exception {
        HfTokenizer t = tokenizer("{\"max_length\": 11, \"strategy\": \"LongestFirst\", \"stride\": 0, \"direction\": \"Right\"}", "null");
        int[] a = t.encode("the", false), b = tokenizedUpTo(t, TEXT, 11, false);
        int na = a.length, nb = 8 - na;
        assertThat(na).isBetween(1, 3);
        // 11 − 3 special tokens = 8: the shorter keeps all its ids, the longer gets the rest
        TruncationPadding.Encoding e = t.encodeBatch(List.of("the"), List.of(TEXT), true).getFirst();
        assertThat(e.ids()).containsExactly(cat(new int[]{CLS}, a, new int[]{SEP}, range(b, 0, nb), new int[]{SEP}));
        int[] types = new int[11];
        Arrays.fill(types, na + 2, 11, 1);
        assertThat(e.typeIds()).containsExactly(types);
        // the second's windows, each after the whole first part
        assertThat(e.overflowing().getFirst().ids()).containsExactly(cat(new int[]{CLS}, a, new int[]{SEP}, range(b, nb, Math.min(2 * nb, b.length)), new int[]{SEP}));
        // both longer than half: 4 ids each
        TruncationPadding.Encoding both = t.encodeBatch(List.of(TEXT), List.of(TEXT), true).getFirst();
        assertThat(both.ids()).containsExactly(cat(new int[]{CLS}, range(b, 0, 4), new int[]{SEP}, range(b, 0, 4), new int[]{SEP}));
    }

    @Test void fixedPaddingFillsToTheLengthOnItsSideWithAMask() throws Exception {
        HfTokenizer t = tokenizer("null", "{\"strategy\": {\"Fixed\": 8}, \"direction\": \"Left\", \"pad_to_multiple_of\": null,"
                + " \"pad_id\": 0, \"pad_type_id\": 0, \"pad_token\": \"[PAD]\"}");
        int[] raw = t.encode("the cat", false);
        TruncationPadding.Encoding e = t.encodeBatch(List.of("the cat"), true).getFirst();
        int pads = 8 - raw.length - 2;
        assertThat(e.ids()).containsExactly(cat(new int[pads], new int[]{CLS}, raw, new int[]{SEP}));
        int[] mask = new int[8];
        Arrays.fill(mask, pads, 8, 1);
        assertThat(e.attentionMask()).containsExactly(mask);
        // longer than the fixed length: unchanged (padding never truncates)
        assertThat(t.encodeBatch(List.of(TEXT), false).getFirst().ids()).containsExactly(t.encode(TEXT, false));
    }

    @Test void batchLongestPadsToTheLongestRoundedUpToTheMultiple() throws Exception {
        HfTokenizer t = tokenizer("null", "{\"strategy\": \"BatchLongest\", \"direction\": \"Right\", \"pad_to_multiple_of\": 4,"
                + " \"pad_id\": 7, \"pad_type_id\": 0, \"pad_token\": \"x\"}");
        List<TruncationPadding.Encoding> b = t.encodeBatch(List.of("the cat", TEXT), false);
        int longest = t.encode(TEXT, false).length, target = (longest + 3) / 4 * 4;
        for (TruncationPadding.Encoding e : b) assertThat(e.ids()).hasSize(target);
        int[] cat = t.encode("the cat", false);
        assertThat(range(b.getFirst().ids(), 0, cat.length)).containsExactly(cat);
        assertThat(range(b.getFirst().ids(), cat.length, target)).containsOnly(7);
        assertThat(range(b.getFirst().attentionMask(), cat.length, target)).containsOnly(0);
    }

    @Test void miniLmsFileTruncatesAndPadsTo128() throws Exception {
        HfTokenizer t;
        try (var in = getClass().getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {   // in the langchain4j test jar
            t = HfTokenizer.fromJson(JSON.readTree(in), "all-minilm-l6-v2-tokenizer.json");
        }
        assertThat(t.truncationPadding().truncation()).isEqualTo(new TruncationPadding.Truncation(128, "LongestFirst", 0, TruncationPadding.Direction.RIGHT));
        assertThat(t.truncationPadding().padding()).isEqualTo(new TruncationPadding.Padding(128, TruncationPadding.Direction.RIGHT, null, 0, 0, "[PAD]"));
        TruncationPadding.Encoding shortOne = t.encodeBatch(List.of("In the beginning God created the heaven and the earth."), true).getFirst();
        assertThat(shortOne.ids()).hasSize(128);
        assertThat(shortOne.ids()[0]).isEqualTo(101);
        int n = t.encode("In the beginning God created the heaven and the earth.", true).length;
        assertThat(shortOne.ids()[n - 1]).isEqualTo(102);
        assertThat(range(shortOne.ids(), n, 128)).containsOnly(0);
        TruncationPadding.Encoding longOne = t.encodeBatch(List.of("word ".repeat(300)), true).getFirst();
        assertThat(longOne.ids()).hasSize(128);
        assertThat(longOne.ids()[127]).isEqualTo(102);
        assertThat(t.encode("word ".repeat(300), false)).hasSize(300);
        // the library stops tokenizing at 128 ids, so only ids 126 and 127 overflow
        assertThat(longOne.overflowing()).hasSize(1);
        assertThat(longOne.overflowing().getFirst().ids()).hasSize(128);
        assertThat(range(longOne.overflowing().getFirst().ids(), 0, 4)).containsExactly(101, longOne.ids()[1], longOne.ids()[1], 102);
    }

    @Test void sectionsThatCannotApplyAreNamed() throws Exception {
        assertThatThrownBy(() -> tokenizer("{\"max_length\": -1}", "null")).hasMessageContaining("max_length");
        assertThatThrownBy(() -> tokenizer("{\"max_length\": 4, \"direction\": \"Up\"}", "null")).hasMessageContaining("truncation.direction");
        assertThatThrownBy(() -> tokenizer("null", "{\"strategy\": \"Longest\"}")).hasMessageContaining("padding.strategy");
        HfTokenizer stride = tokenizer("{\"max_length\": 4, \"stride\": 2}", "null");
        assertThatThrownBy(() -> stride.encodeBatch(List.of(TEXT), true)).hasMessageContaining("stride");
        HfTokenizer second = tokenizer("{\"max_length\": 4, \"strategy\": \"OnlySecond\"}", "null");
        assertThatThrownBy(() -> second.encodeBatch(List.of(TEXT), false)).hasMessageContaining("OnlySecond");
    }
}
