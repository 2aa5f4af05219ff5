package org.unmask.model.io;

import org.unmask.compute.Parallel;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/**
 * Appends tensors to a file in a storage dtype, batch by batch: the worker pool produces and converts one batch
 * while a writer thread puts the previous one into the file, so generation and disk I/O overlap. Memory use is two
 * batches, whatever the size of the tensors.
 */
final class TensorStreamer implements AutoCloseable {

    /** Elements per work item; also the unit in which sources are asked for data. */
    static final int CHUNK = 1 << 20;

    private final FileChannel channel;
    private final DType dtype;
    private final LongConsumer progress;
    private final int chunks = Math.max(4, 2 * Parallel.threads());
    private final float[] floats = new float[chunks * CHUNK];
    private final MemorySegment[] out = new MemorySegment[2];
    private final Future<?>[] pending = new Future<?>[2];
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "safetensors-writer");
        t.setDaemon(true);
        return t;
    });
    private int current;
    private long written;   // touched only by the writer thread; read after its tasks are awaited

    /** Streams into {@code channel} at its position; buffers come from {@code arena}; progress may be null. */
    TensorStreamer(FileChannel channel, Arena arena, DType dtype, LongConsumer progress) {
        this.channel = channel;
        this.dtype = dtype;
        this.progress = progress;
        for (int i = 0; i < 2; i++) out[i] = arena.allocate((long) chunks * CHUNK * dtype.bytes, 8);
    }

    /** Queues every element of {@code src}, converted to the dtype, after what was queued before. */
    void append(TensorSource src) throws IOException {
        long size = src.size();
        for (long start = 0; start < size; start += (long) chunks * CHUNK) {
            long base = start;
            long n = Math.min((long) chunks * CHUNK, size - start);
            int used = (int) ((n + CHUNK - 1) / CHUNK);
            await(current);   // this buffer's previous write must be done before it is refilled
            MemorySegment dst = out[current];
            Parallel.forRange(used, 1, (from, to) -> {
                for (int c = from; c < to; c++) {
                    int off = c * CHUNK;
                    int len = (int) Math.min(CHUNK, n - off);
                    src.read(base + off, floats, off, len);
                    convert(floats, off, len, dst);
                }
            });
            long bytes = n * dtype.bytes;
            ByteBuffer buffer = dst.asSlice(0, bytes).asByteBuffer();
            pending[current] = writer.submit(() -> {
                while (buffer.hasRemaining()) channel.write(buffer);
                written += bytes;
                if (progress != null) progress.accept(written);
                return null;
            });
            current ^= 1;
        }
    }

    /** Waits until everything queued is in the file. */
    void finish() throws IOException {
        await(0);
        await(1);
    }

    private void convert(float[] src, int off, int len, MemorySegment dst) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, off, dst, Weights.F32_LE, (long) off * 4, len);
            case BF16 -> {
                for (int i = off; i < off + len; i++) dst.set(Weights.I16_LE, (long) i * 2, Precision.toBf16(src[i]));
            }
            case F16 -> {
                for (int i = off; i < off + len; i++) dst.set(Weights.I16_LE, (long) i * 2, Precision.toF16(src[i]));
            }
            default -> throw new IllegalArgumentException("can only write weights as F32, BF16 or F16, not " + dtype);
        }
    }

    private void await(int i) throws IOException {
        Future<?> f = pending[i];
        if (f == null) return;
        pending[i] = null;
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing", e);
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case RuntimeException r -> throw r;
                case Error err -> throw err;
                default -> throw new IOException(e.getCause());
            }
        }
    }

    /** Lets in-flight writes end (their buffers belong to the caller's arena), then stops the writer thread. */
    @Override public void close() {
        for (Future<?> f : pending) {
            if (f == null) continue;
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException ignored) {
                // the caller is already failing with the first error
            }
        }
        writer.shutdown();
    }
}
