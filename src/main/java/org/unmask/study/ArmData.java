package org.unmask.study;

import org.unmask.data.Tokens;
import org.unmask.diffusion.ScoredSequence;

import java.nio.file.Path;
import java.util.List;

/**
 * The data of an arm.
 *
 * @param name      what it is, for the arm's identity (e.g. "default, first 200000 tokens")
 * @param train     the training tokens
 * @param valid     the validation windows
 * @param tokenizer the tokenizer.json copied into the arm's directory (null for synthetic data)
 */
public record ArmData(String name, Tokens train, List<ScoredSequence> valid, Path tokenizer) {
    /** Checks that there is something to validate on. */
    public ArmData {
        if (valid == null || valid.isEmpty()) throw new IllegalArgumentException(name + ": no validation windows");
    }
}
