package org.unmask.data;

/**
 * One fine-tuning sample: the templated prompt (BOS, turns, assistant header) and the answer (response, end of turn,
 * end of text). Only answer tokens are masked and scored in supervised fine-tuning.
 */
public record SftExample(int[] promptIds, int[] answerIds) {

    /** Prompt length plus answer length. */
    public int length() {
        return promptIds.length + answerIds.length;
    }
}
