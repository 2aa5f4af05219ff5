package org.unmask.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void plainLogReportsTotalsAndWhetherTheJobFinished() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress p = new Progress.Log("Tokenising x", out, 0)) {
            p.step(2, 1500);
            p.step(1, 500);
            p.finish();
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(3); // interval 0: a line per step, then the final one
        assertThat(lines[0]).startsWith("Tokenising x: 2 documents, 1,500 tokens, ");
        assertThat(lines[2]).startsWith("Tokenising x: 3 documents, 2,000 tokens, ").endsWith("(done)");

        bytes.reset();
        try (Progress p = new Progress.Log("Tokenising y", out, 60_000)) {
            p.step(1, 10);
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8).strip())
                .startsWith("Tokenising y: 1 documents, 10 tokens").endsWith("(stopped)");
    }
}
