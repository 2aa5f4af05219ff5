package org.unmask.serve;

import org.unmask.text.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** Test tokenizer: our six special tokens at ids 0..5 (briefing), then one id per UTF-16 char (6 + char). */
final class CharTokenizer implements Tokenizer {

    static final String[] SPECIALS = {"<|endoftext|>", "<|startoftext|>", "<|mdm_mask|>", "<|start_header_id|>",
            "<|end_header_id|>", "<|eot_id|>"};
    static final int EOS = 0, BOS = 1, MASK = 2, EOT = 5;

    static Vocabulary vocabulary() { return Vocabulary.of(new CharTokenizer(), MASK, BOS, EOS); }

    @Override public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> ids = new ArrayList<>();
        if (addSpecialTokens) ids.add(BOS);
        outer:
        for (int i = 0; i < text.length(); ) {
            for (int s = 0; s < SPECIALS.length; s++) {
                if (text.startsWith(SPECIALS[s], i)) {
                    ids.add(s);
                    i += SPECIALS[s].length();
                    continue outer;
                }
            }
            ids.add(6 + text.charAt(i++));
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id < 6) { if (!skipSpecialTokens) sb.append(SPECIALS[id]); }
            else sb.append((char) (id - 6));
        }
        return sb.toString();
    }

    @Override public int vocabSize() { return 6 + 65536; }

    @Override public OptionalInt tokenId(String token) {
        for (int s = 0; s < SPECIALS.length; s++) if (SPECIALS[s].equals(token)) return OptionalInt.of(s);
        return token.length() == 1 ? OptionalInt.of(6 + token.charAt(0)) : OptionalInt.empty();
    }

    @Override public String token(int id) { return id < 6 ? SPECIALS[id] : String.valueOf((char) (id - 6)); }
}
