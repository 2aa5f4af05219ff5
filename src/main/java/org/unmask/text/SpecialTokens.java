package org.unmask.text;

import java.util.List;

/**
 * The special-token strings of our tokenizers and of the LLaDA chat format, spelled once. LLaDA-8B's own tokenizer
 * uses the same strings, so code that looks a token up by string works for both.
 */
public final class SpecialTokens {
    private SpecialTokens() {}

    /** End of text: separates documents in pretraining and pads answers. */
    public static final String EOS = "<|endoftext|>";
    /** Start of text: begins a chat prompt. */
    public static final String BOS = "<|startoftext|>";
    /** The mask token the diffusion model fills in. */
    public static final String MASK = "<|mdm_mask|>";
    /** Opens the role header of a chat turn. */
    public static final String START_HEADER = "<|start_header_id|>";
    /** Closes the role header of a chat turn. */
    public static final String END_HEADER = "<|end_header_id|>";
    /** Ends a chat turn. */
    public static final String END_OF_TURN = "<|eot_id|>";

    /** BERT's end of a text ({@code [SEP]}): separates documents for a WordPiece vocabulary without {@link #EOS}. */
    public static final String SEP = "[SEP]";

    /**
     * The token that separates the documents a model trains on and is scored on: {@link #EOS} when the tokenizer has it
     * (the pretraining separator of our models, LLaDA's, Dream's, Qwen's and Ling's, even where an instruct model's
     * config.json names its end of turn as EOS), else {@code modelEos}, the model's own end of text (config.json's
     * {@code eos_token_id}: Llama 2's {@code </s>}, BERT's [SEP]).
     */
    public static int documentSeparator(Tokenizer tok, int modelEos) {
        return tok.tokenId(EOS).orElse(modelEos);
    }

    /** The token that separates documents in a corpus: {@link #EOS}, else BERT's {@link #SEP}; empty when neither exists. */
    public static java.util.OptionalInt documentSeparator(Tokenizer tok) {
        java.util.OptionalInt eos = tok.tokenId(EOS);
        return eos.isPresent() ? eos : tok.tokenId(SEP);
    }

    /** All of them in id order: a tokenizer trained by {@link BpeTrainer} gives them ids 0..5. */
    public static final List<String> ALL = List.of(EOS, BOS, MASK, START_HEADER, END_HEADER, END_OF_TURN);
}
