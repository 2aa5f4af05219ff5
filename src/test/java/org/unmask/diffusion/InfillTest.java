package org.unmask.diffusion;

import org.junit.jupiter.api.Test;
import org.unmask.text.Tokenizer;

import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InfillTest {
    /** One id per character (its code point + 10), so the ids show exactly which text was encoded. */
    private static final Tokenizer CHARS = new Tokenizer() {
        public int[] encode(String text, boolean special) { return text.codePoints().map(c -> c + 10).toArray(); }
        public String decode(int[] ids, boolean skip) { return ""; }
        public int vocabSize() { return 1000; }
        public OptionalInt tokenId(String token) { return OptionalInt.empty(); }
        public String token(int id) { return ""; }
    };

    @Test
    void parsesSpansOfMasks() {
        assertThat(Infill.parse("The [MASK:5] sat on [MASK].")).containsExactly(new Infill.Text("The "),
                new Infill.Masks(5), new Infill.Text(" sat on "), new Infill.Masks(1), new Infill.Text("."));
        assertThatThrownBy(() -> Infill.parse("a [MASK:x] b")).hasMessageContaining("MASK");
    }

    @Test
    void whitespaceBeforeAMaskBelongsToTheMaskedSpan() {
        int[] ids = Infill.encode("ab [MASK:2] c", CHARS, 2);
        // "ab" + two masks + " c": the space before the span is left for the masked word (byte-level BPE attaches it)
        assertThat(ids).containsExactly('a' + 10, 'b' + 10, 2, 2, ' ' + 10, 'c' + 10);
        assertThat(Infill.countMasks(ids, 2)).isEqualTo(2);
        assertThat(Infill.encode("[MASK:1] x", CHARS, 2)).containsExactly(2, ' ' + 10, 'x' + 10);
        assertThat(Infill.parse("no masks here")).containsExactly(new Infill.Text("no masks here"));
    }
}
