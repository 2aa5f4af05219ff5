package org.unmask.text;

/** A token matched in the raw (or normalized) text before the model runs, with the tokenizer.json flags. */
public record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                         boolean normalized, boolean special) {}
