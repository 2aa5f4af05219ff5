package org.unmask.cli;

import org.unmask.model.Denoiser;
import org.unmask.text.SpecialTokens;
import org.unmask.text.Tokenizer;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** Token-id lists on the command line ({@code "1 2 3"} or {@code "1,2,3"}) and the special ids of a model. */
final class Ids {
    private Ids() {}

    /** Parses a space- or comma-separated id list; {@code option} names the option in errors. */
    static int[] parse(String s, String option) {
        String t = s.trim();
        if (t.isEmpty()) return new int[0];
        String[] parts = t.split("[\\s,]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + parts[i] + "' (item " + (i + 1) + ") is not a token id");
            }
            if (ids[i] < 0) throw new IllegalArgumentException(option + ": token id " + ids[i] + " is negative");
        }
        return ids;
    }

    /** Space-separated ids. */
    static String format(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }

    /**
     * The end-of-turn id: {@code explicit} when given, else {@code <|eot_id|>} from the tokenizer, else LLaDA-8B's
     * 126348 when the model uses LLaDA-8B's EOS 126081, else none (-1).
     */
    static int eotId(Integer explicit, Denoiser model, Optional<Tokenizer> tok) {
        if (explicit != null) return explicit;
        if (tok.isPresent()) {
            var id = tok.get().tokenId(SpecialTokens.END_OF_TURN);
            if (id.isPresent()) return id.getAsInt();
        }
        if (model.config().eosTokenId() == 126081 && model.config().embeddingSize() > 126348) return 126348;
        return -1;
    }

    /** The tokenizer, or an error saying which option to use instead. */
    static Tokenizer requireTokenizer(Optional<Tokenizer> tok, java.nio.file.Path dir, String instead) {
        return tok.orElseThrow(() -> new IllegalArgumentException("model directory " + dir
                + " has no tokenizer (tokenizer.json)" + (instead == null ? "" : "; use " + instead)));
    }
}
