package org.unmask.study;

import org.unmask.model.ModelConfig;
import org.unmask.text.SpecialTokens;
import org.unmask.text.Tokenizer;

/** The small LLaDA-layout models of the studies (tied embeddings, so that the vocabulary does not dwarf them). */
public final class Shapes {
    private Shapes() {}

    /** A model shape: width, blocks, heads, feed-forward width. */
    public record Shape(int dModel, int layers, int heads, int mlp) {
        /** Checks that the heads divide the width. */
        public Shape {
            if (dModel % heads != 0) throw new IllegalArgumentException("d_model " + dModel + " is not a multiple of " + heads + " heads");
        }

        /** "d×layers". */
        public String label() { return dModel + "d×" + layers; }
    }

    /** The shape with the special ids of {@code tok}. */
    public static ModelConfig config(Shape s, Tokenizer tok, int maxLen) {
        int mask = id(tok, SpecialTokens.MASK), eos = id(tok, SpecialTokens.EOS);
        Integer bos = tok.tokenId(SpecialTokens.BOS).isPresent() ? tok.tokenId(SpecialTokens.BOS).getAsInt() : null;
        return config(s, tok.vocabSize(), mask, eos, bos, maxLen);
    }

    /** The shape over a vocabulary of {@code vocab} ids with these special ids. */
    public static ModelConfig config(Shape s, int vocab, int mask, int eos, Integer bos, int maxLen) {
        return new ModelConfig(s.dModel(), s.layers(), s.heads(), null, s.mlp(), vocab, null, maxLen, 10000.0, 1e-5, true,
                mask, eos, null, bos);
    }

    private static int id(Tokenizer tok, String token) {
        return tok.tokenId(token).orElseThrow(() -> new IllegalArgumentException("the study tokenizer has no " + token + " token"));
    }
}
