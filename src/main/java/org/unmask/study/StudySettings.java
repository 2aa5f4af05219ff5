package org.unmask.study;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What a study run is given.
 *
 * @param out       the study directory (arms, results.jsonl, plots, summary.md); a re-run skips what is finished
 * @param scale     quick, medium or full
 * @param seeds     seeds of the headline comparison (at least 2 for a spread)
 * @param tokenizer the tokenizer.json every corpus arm uses (the shipped model's, so that its judge can share it)
 * @param model     the diffusion model of the steps study
 * @param judge     an autoregressive judge for the steps study, or null to train one
 * @param encoder   a pretrained encoder for the init study's third arm, or null to skip that arm
 * @param log       progress lines
 */
public record StudySettings(Path out, Scale scale, int seeds, Path tokenizer, Path model, Path judge, Path encoder, PrintStream log) {
    /** Checks the seeds and the directories. */
    public StudySettings {
        if (out == null) throw new IllegalArgumentException("--out is required");
        if (scale == null) throw new IllegalArgumentException("a scale is required");
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
        if (log == null) throw new IllegalArgumentException("a log stream is required");
    }
}
