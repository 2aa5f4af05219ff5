package org.unmask.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import org.unmask.text.Tokenizer;

/** Test tokenizer: the six special tokens at ids 0..5 (matched in text), then one id per UTF-8 byte (6 + byte). */
class ByteTokenizer implements Tokenizer {

    static final List<String> SPECIALS = List.of("<|endoftext|>", "<|startoftext|>", "<|mdm_mask|>",
            "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");
    static final int OFFSET = SPECIALS.size();
    /** The id of {@code <|endoftext|>}, which separates documents. */
    static final int EOS = 0;

    /** Number of encode calls, to tell a cache hit from a rebuild. */
    final AtomicInteger encodeCalls = new AtomicInteger();

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        encodeCalls.incrementAndGet();
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        if (addSpecialTokens) out.add(1);
        int i = 0;
        outer:
        while (i < text.length()) {
            for (int s = 0; s < SPECIALS.size(); s++) {
                if (text.startsWith(SPECIALS.get(s), i)) {
                    out.add(s);
                    i += SPECIALS.get(s).length();
                    continue outer;
                }
            }
            int cp = text.codePointAt(i);
            for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) out.add(OFFSET + (b & 0xff));
            i += Character.charCount(cp);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder s = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < OFFSET) {
                s.append(bytes.toString(StandardCharsets.UTF_8));
                bytes.reset();
                if (!skipSpecialTokens) s.append(SPECIALS.get(id));
            } else {
                bytes.write(id - OFFSET);
            }
        }
        return s.append(bytes.toString(StandardCharsets.UTF_8)).toString();
    }

    @Override
    public int vocabSize() {
        return OFFSET + 256;
    }

    @Override
    public OptionalInt tokenId(String token) {
        int i = SPECIALS.indexOf(token);
        return i < 0 ? OptionalInt.empty() : OptionalInt.of(i);
    }

    @Override
    public String token(int id) {
        return id < OFFSET ? SPECIALS.get(id) : String.valueOf((char) (id - OFFSET));
    }
}
