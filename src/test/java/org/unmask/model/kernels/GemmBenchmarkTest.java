package org.unmask.model.kernels;

import org.junit.jupiter.api.Test;
import org.unmask.model.tensor.DType;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GemmBenchmarkTest {

    @Test
    void gflopsCountsTwoFlopsPerMultiplyAdd() {
        // 1024³ multiply-adds in 20 ms = 2·2^30 / 0.02 s = 107.37 GFLOPS
        assertThat(GemmBenchmark.gflops(1024, 1024, 1024, 20_000_000L)).isCloseTo(107.374, org.assertj.core.data.Offset.offset(1e-3));
    }

    @Test
    void modesParseTheirCommandLineSpelling() {
        for (GemmBenchmark.Mode m : GemmBenchmark.Mode.values())
            assertThat(GemmBenchmark.Mode.parse(m.spelling())).isEqualTo(m);
        assertThat(GemmBenchmark.Mode.BACKWARD_INPUT.spelling()).isEqualTo("backward-input");
        assertThatThrownBy(() -> GemmBenchmark.Mode.parse("sideways")).hasMessageContaining("sideways");
    }

    @Test
    void reportsEveryRunAndSummarises() {
        List<Double> seen = new ArrayList<>();
        GemmBenchmark.Result r = GemmBenchmark.run(GemmBenchmark.Mode.FORWARD, DType.BF16, 8, 64, 32, 3, seen::add);
        assertThat(seen).hasSize(3).allSatisfy(g -> assertThat(g).isPositive().isFinite());
        assertThat(r.best()).isEqualTo(seen.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
        assertThat(r.median()).isBetween(seen.stream().mapToDouble(Double::doubleValue).min().orElseThrow(), r.best());
    }

    @Test
    void rejectsHalfWeightsForBackwardAndBadSizes() {
        assertThatThrownBy(() -> GemmBenchmark.run(GemmBenchmark.Mode.BACKWARD_WEIGHT, DType.F16, 4, 4, 4, 1, g -> {}))
                .hasMessageContaining("forward only");
        assertThatThrownBy(() -> GemmBenchmark.run(GemmBenchmark.Mode.FORWARD, DType.F32, 0, 4, 4, 1, g -> {}))
                .hasMessageContaining("T=0");
        assertThatThrownBy(() -> GemmBenchmark.run(GemmBenchmark.Mode.FORWARD, DType.F32, 4, 4, 4, 0, g -> {}))
                .hasMessageContaining("--iters");
    }

    @Test
    void cpuClockNeedsOneThreadAndTimesTheProduct() {
        int before = org.unmask.compute.Parallel.threads();
        try {
            org.unmask.compute.Parallel.setThreads(2);
            assertThatThrownBy(() -> GemmBenchmark.run(GemmBenchmark.Mode.FORWARD, DType.F32, 4, 4, 4, 1, GemmBenchmark.Clock.CPU, g -> {}))
                    .hasMessageContaining("--threads 1");
            org.unmask.compute.Parallel.setThreads(1);
            GemmBenchmark.Result r = GemmBenchmark.run(GemmBenchmark.Mode.FORWARD, DType.F32, 16, 64, 32, 2, GemmBenchmark.Clock.CPU, g -> {});
            assertThat(r.best()).isPositive().isFinite();
        } finally {
            org.unmask.compute.Parallel.setThreads(before);
        }
        assertThat(GemmBenchmark.Clock.parse("cpu")).isEqualTo(GemmBenchmark.Clock.CPU);
        assertThatThrownBy(() -> GemmBenchmark.Clock.parse("sundial")).hasMessageContaining("sundial");
    }
}
