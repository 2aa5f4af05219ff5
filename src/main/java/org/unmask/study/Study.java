package org.unmask.study;

import java.io.IOException;

/** One study: a question about diffusion LMs answered by arms run through the {@link Harness}. */
public interface Study {
    /** The name on the command line ({@code unmask study NAME}). */
    String name();

    /** Runs (or resumes) the study and writes its results, plots and summary into the harness's directory. */
    void run(Harness harness) throws IOException;
}
