package org.unmask.serve;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded queue in front of one engine, drained by a single worker (the engine already uses every core for one
 * forward pass). The worker takes the oldest job and, when the engine batches, every waiting job that
 * {@link GenerationRequest#batchesWith batches with} it up to {@link GenerationEngine#maxBatchSize()}, and runs them
 * as one batched generation. Jobs cancelled while waiting are dropped without running.
 */
public final class GenerationQueue implements AutoCloseable {

    private record Pending(GenerationJob job, CompletableFuture<GenerationResult> future) {}

    private final GenerationEngine engine;
    private final int capacity;
    private final int maxBatch;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Thread worker;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong batchedJobs = new AtomicLong();
    private volatile boolean closed;

    /** Starts the worker; {@code capacity} is the number of jobs that may wait (not counting the running batch). */
    public GenerationQueue(GenerationEngine engine, int capacity, int maxBatch) {
        if (capacity < 1) throw new IllegalArgumentException("queue capacity must be at least 1: " + capacity);
        if (maxBatch < 1) throw new IllegalArgumentException("max batch must be at least 1: " + maxBatch);
        this.engine = engine;
        this.capacity = capacity;
        this.maxBatch = Math.min(maxBatch, Math.max(1, engine.maxBatchSize()));
        this.worker = Thread.ofPlatform().name("unmask-generation").daemon(true).start(this::run);
    }

    /** Queues a job; the future completes with its result, or exceptionally when the engine fails. */
    public CompletableFuture<GenerationResult> submit(GenerationJob job) throws QueueFullException {
        CompletableFuture<GenerationResult> f = new CompletableFuture<>();
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("the generation queue is closed");
            if (waiting.size() >= capacity) throw new QueueFullException(capacity);
            waiting.addLast(new Pending(job, f));
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
        return f;
    }

    /** Jobs waiting to run. */
    public int waiting() {
        lock.lock();
        try { return waiting.size(); } finally { lock.unlock(); }
    }

    /** Batches run so far and the jobs they held (their ratio is the mean batch size). */
    public long batchesRun() { return batches.get(); }

    /** Jobs handed to the engine so far. */
    public long jobsRun() { return batchedJobs.get(); }

    private List<Pending> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                while (waiting.isEmpty()) {
                    if (closed) return null;
                    notEmpty.await();
                }
                Pending first = waiting.pollFirst();
                if (first.job().token().isCancelled()) {
                    first.future().complete(new GenerationResult(new int[0], true, 0));
                    continue;
                }
                List<Pending> batch = new ArrayList<>();
                batch.add(first);
                GenerationRequest head = first.job().request();
                for (Iterator<Pending> it = waiting.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
                    Pending p = it.next();
                    if (head.batchesWith(p.job().request()) && !p.job().token().isCancelled()) {
                        batch.add(p);
                        it.remove();
                    }
                }
                return batch;
            }
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (true) {
            List<Pending> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                return;
            }
            if (batch == null) return;
            batches.incrementAndGet();
            batchedJobs.addAndGet(batch.size());
            try {
                List<GenerationResult> results = engine.generateBatch(batch.stream().map(Pending::job).toList());
                for (int i = 0; i < batch.size(); i++) batch.get(i).future().complete(results.get(i));
            } catch (Throwable t) {
                // The worker must outlive a failing generation: fail only this batch's requests.
                for (Pending p : batch) p.future().completeExceptionally(t);
            }
        }
    }

    /** Stops the worker after the running batch; waiting jobs are cancelled. */
    @Override public void close() {
        lock.lock();
        try {
            closed = true;
            for (Pending p : waiting) {
                p.job().token().cancel();
                p.future().complete(new GenerationResult(new int[0], true, 0));
            }
            waiting.clear();
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        worker.interrupt();
    }
}
