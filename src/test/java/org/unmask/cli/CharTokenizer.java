package org.unmask.cli;

import org.unmask.text.Tokenizer;

import java.util.OptionalInt;

/** A toy tokenizer for command tests: ids 0..5 are the special tokens, 6..15 the letters a..j (others fold onto them). */
public final class CharTokenizer implements Tokenizer {
    private static final String[] SPECIAL = {"<|endoftext|>", "<|startoftext|>", "<|mdm_mask|>", "<|start_header_id|>",
            "<|end_header_id|>", "<|eot_id|>"};

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        int[] ids = new int[text.length() + (addSpecialTokens ? 1 : 0)];
        int k = 0;
        if (addSpecialTokens) ids[k++] = 1;
        for (int i = 0; i < text.length(); i++) ids[k++] = 6 + Math.floorMod(text.charAt(i) - 'a', 10);
        return ids;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            if (id < 6) { if (!skipSpecialTokens) b.append(SPECIAL[id]); }
            else b.append((char) ('a' + id - 6));
        }
        return b.toString();
    }

    @Override public int vocabSize() { return 16; }

    @Override
    public OptionalInt tokenId(String token) {
        for (int i = 0; i < SPECIAL.length; i++) if (SPECIAL[i].equals(token)) return OptionalInt.of(i);
        return OptionalInt.empty();
    }

    @Override public String token(int id) { return id < 6 ? SPECIAL[id] : String.valueOf((char) ('a' + id - 6)); }
}
