package org.unmask.serve;

/** Fake engines for tests outside this package. */
public final class TestEngines {
    private TestEngines() {}

    /** A deterministic engine that reveals {@code answer} + EoT + EOS padding over the LLaDA schedule. */
    public static GenerationEngine fake(String answer) { return new FakeEngine(answer, 8, 0); }
}
