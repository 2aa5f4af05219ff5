package org.unmask.views;

import org.unmask.text.Tokenizer;

import java.util.Optional;

/** How one token id is shown in the views: its text from the tokenizer (control characters made visible) or its id. */
public final class TokenText {
    private final Tokenizer tokenizer;
    private final int maskId;

    /** Shows tokens via {@code tokenizer} when present, as {@code ⟨id⟩} otherwise. */
    public TokenText(Optional<Tokenizer> tokenizer, int maskId) {
        this.tokenizer = tokenizer.orElse(null);
        this.maskId = maskId;
    }

    /** The mask id. */
    public int maskId() { return maskId; }

    /** Display text of a (non-mask) token, never empty and without line breaks or tabs. */
    public String of(int id) {
        if (tokenizer == null) return "⟨" + id + "⟩";
        String s = tokenizer.decode(new int[]{id}, false);
        if (s == null || s.isEmpty()) s = tokenizer.token(id);
        if (s == null || s.isEmpty()) return "⟨" + id + "⟩";
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') b.append('↵');
            else if (c == '\t') b.append('→');
            else if (c < 0x20 || c == 0x7f) b.append('·');
            else b.append(c);
        }
        return b.toString();
    }
}
