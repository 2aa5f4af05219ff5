package org.unmask.text;

import java.util.Map;

/** The model of a tokenizer.json: turns one pre-tokenized word into ids. */
sealed interface TokenModel permits BpeModel, WordPieceModel {

    /** Appends the ids of {@code word} to {@code out}. */
    void tokenize(String word, IntList out);

    /** Token string to id. */
    Map<String, Integer> vocab();
}
