package org.unmask.serve;

import org.junit.jupiter.api.Test;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.StepEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerationQueueTest {

    static GenerationRequest request(int gen, int steps, int block, long seed) {
        return new GenerationRequest(new int[]{7, 8}, SamplerConfig.builder(gen, steps, block).seed(seed)
                .specialIds(CharTokenizer.MASK, CharTokenizer.EOS, CharTokenizer.EOT).build(), List.of());
    }

    static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out");
            Thread.sleep(2);
        }
    }

    @Test void engineWithoutBatchingRunsRequestsOneByOne() throws Exception {
        FakeEngine e = new FakeEngine("abc", 1, 0);
        e.gate = new Semaphore(0);
        try (GenerationQueue q = new GenerationQueue(e, 8, 8)) {
            List<CompletableFuture<GenerationResult>> fs = new ArrayList<>();
            fs.add(q.submit(new GenerationJob(request(16, 16, 16, 1), null, null)));
            waitFor(() -> q.batchesRun() == 1);
            for (int i = 0; i < 3; i++) fs.add(q.submit(new GenerationJob(request(16, 16, 16, i), null, null)));
            e.gate.release(4);
            for (var f : fs) assertThat(e.vocab.answerText(f.get().canvas())).isEqualTo("abc");
            assertThat(e.batchSizes).containsExactly(1, 1, 1, 1);
        }
    }

    @Test void batchedRowsMatchSingleRuns() throws Exception {
        FakeEngine e = new FakeEngine("hello world", 4, 0);
        GenerationRequest r = request(32, 16, 16, 5);
        GenerationResult alone = e.generate(r, null, new CancellationToken());
        List<StepEvent> steps = new ArrayList<>();
        List<GenerationResult> batch = e.generateBatch(List.of(new GenerationJob(r, steps::add, null),
                new GenerationJob(request(32, 16, 16, 6), null, null)));
        assertThat(batch.getFirst().canvas()).containsExactly(alone.canvas());
        assertThat(steps).hasSize(16);
        // LLaDA schedule: 16 masks per block over 8 steps per block = 2 per step
        assertThat(steps).allSatisfy(s -> assertThat(e.vocab.answerStep(s, 2).revealed()).hasSize(2));
    }

    @Test void cancelledWaitingJobIsDroppedAndFailuresStayInTheirBatch() throws Exception {
        GenerationEngine failing = new FakeEngine("x", 1, 0) {
            @Override public List<GenerationResult> generateBatch(List<GenerationJob> jobs) {
                if (jobs.getFirst().request().config().seed() == 13) throw new IllegalStateException("boom");
                return super.generateBatch(jobs);
            }
        };
        try (GenerationQueue q = new GenerationQueue(failing, 4, 1)) {
            CancellationToken gone = new CancellationToken();
            gone.cancel();
            assertThat(q.submit(new GenerationJob(request(8, 8, 8, 1), null, gone)).get().cancelled()).isTrue();
            var bad = q.submit(new GenerationJob(request(8, 8, 8, 13), null, null));
            assertThatThrownBy(bad::get).isInstanceOf(ExecutionException.class).hasRootCauseMessage("boom");
            var good = q.submit(new GenerationJob(request(8, 8, 8, 2), null, null));
            assertThat(good.get().cancelled()).isFalse();
        }
    }

    @Test void fullQueueRefuses() throws Exception {
        FakeEngine e = new FakeEngine("x", 1, 0);
        e.gate = new Semaphore(0);
        try (GenerationQueue q = new GenerationQueue(e, 1, 1)) {
            q.submit(new GenerationJob(request(8, 8, 8, 1), null, null));
            waitFor(() -> q.batchesRun() == 1);
            q.submit(new GenerationJob(request(8, 8, 8, 2), null, null));
            assertThatThrownBy(() -> q.submit(new GenerationJob(request(8, 8, 8, 3), null, null)))
                    .isInstanceOf(QueueFullException.class).hasMessageContaining("1 requests are already waiting");
            e.gate.release(2);
        }
    }
}
