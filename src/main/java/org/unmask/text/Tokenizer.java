package org.unmask.text;

import java.util.OptionalInt;

/** Text to token ids and back, with the special tokens matched before the model. */
public interface Tokenizer {

    /** Token ids of {@code text}; {@code addSpecialTokens} applies the post-processor (BOS, [CLS]/[SEP], ...). */
    int[] encode(String text, boolean addSpecialTokens);

    /** Text of {@code ids}, optionally without the special tokens. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** Size of the vocabulary including added tokens. */
    int vocabSize();

    /** The id of a token string (for example a special token such as {@code <|mdm_mask|>}). */
    OptionalInt tokenId(String token);

    /** The string of one token id, as stored in the vocabulary. */
    String token(int id);
}
