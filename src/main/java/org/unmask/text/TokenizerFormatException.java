package org.unmask.text;

import java.io.IOException;

/** A tokenizer.json that cannot be used: malformed, inconsistent or with a component type we do not implement. */
public final class TokenizerFormatException extends IOException {
    public TokenizerFormatException(String source, String message) {
        super(source + ": " + message);
    }
}
