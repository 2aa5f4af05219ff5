package org.unmask.cli;

import org.unmask.compute.Parallel;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class BenchMatmulCommandTest {

    private record Outcome(int code, String out, String err) {}

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchMatmulCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            line.getErr().println("error: " + ex.getMessage());
            return 1;
        });
        int code = cl.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void printsEveryRunAndTheGflopsLineLast() {
        Outcome o = run("--m", "8", "--k", "40", "--n", "12", "--iters", "2", "--dtype", "bf16");
        assertThat(o.code()).isZero();
        String[] lines = o.out().strip().split("\\R");
        assertThat(lines[0]).isEqualTo("matmul forward bf16 T=8 K=40 N=12 threads=" + org.unmask.compute.Parallel.threads());
        assertThat(lines[1]).matches("run 1: \\d+\\.\\d GFLOPS");
        assertThat(lines[2]).matches("run 2: \\d+\\.\\d GFLOPS");
        assertThat(lines[lines.length - 1]).matches("matmul GFLOPS: \\d+\\.\\d");
        // bf16 weights, T = 8: each weight (2 bytes) does 16 flops, so GB/s is GFLOPS / 8
        double best = Double.parseDouble(lines[lines.length - 1].substring("matmul GFLOPS: ".length()));
        assertThat(lines[lines.length - 2]).startsWith("weights streamed: ").endsWith("GB/s in the best run (2 bytes per weight, 2·T = 16 flops each)");
        double gbs = Double.parseDouble(lines[lines.length - 2].split(" ")[2]);
        assertThat(gbs).isCloseTo(best / 8, org.assertj.core.data.Offset.offset(0.1));
    }

    @Test
    void quantizedMatrixVectorProductsReportTheWeightBandwidth() {
        Outcome o = run("--m", "1", "--k", "64", "--n", "8", "--iters", "1", "--dtype", "q4_0");
        assertThat(o.code()).isZero();
        String[] lines = o.out().strip().split("\\R");
        assertThat(lines[0]).startsWith("matmul forward q4_0 T=1 K=64 N=8");
        assertThat(lines[lines.length - 2]).matches("matmul GFLOPS: \\d+\\.\\d");
        // 8 rows × 2 blocks × 18 bytes
        assertThat(lines[lines.length - 1]).matches("weights 0\\.0 MB, streamed at best \\d+\\.\\d GB/s");
        assertThat(run("--m", "1", "--k", "40", "--n", "8", "--dtype", "q8_0").err()).contains("multiple of 32");
    }

    @Test
    void unknownDtypeAndModeAreNamed() {
        assertThat(run("--dtype", "q4").err()).contains("Invalid value for option '--dtype': expected f32, bf16, f16, q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl, q2_k, q3_k, q4_k, q5_k, q6_k or iq4_xs, got 'q4'");
        assertThat(run("--mode", "upside-down").err()).contains("Invalid value for option '--mode': unknown mode 'upside-down'");
    }
}
