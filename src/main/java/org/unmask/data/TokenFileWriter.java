package org.unmask.data;

import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a {@link TokenFile} atomically: tokens go to a staged temporary file beside the target ({@link AtomicFile}),
 * which {@link #commit()} completes and renames onto the target. Closing without committing deletes the temporary file.
 */
public final class TokenFileWriter implements AutoCloseable {

    private final AtomicFile staged;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final int vocabSize;
    private final int separatorId;
    private long count;
    private boolean done;

    private TokenFileWriter(AtomicFile staged, FileChannel channel, int vocabSize, int separatorId) {
        this.staged = staged;
        this.channel = channel;
        this.vocabSize = vocabSize;
        this.separatorId = separatorId;
    }

    /** Starts a token file that will replace {@code target} on commit. */
    public static TokenFileWriter create(Path target, int vocabSize, int separatorId) throws IOException {
        if (vocabSize <= 0 || separatorId < 0 || separatorId >= vocabSize) {
            throw new IllegalArgumentException("separator id " + separatorId + " outside the vocabulary of " + vocabSize);
        }
        AtomicFile staged = AtomicFile.stage(target);
        FileChannel ch;
        try {
            ch = FileChannel.open(staged.temp(), StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            staged.close();
            throw e;
        }
        TokenFileWriter w = new TokenFileWriter(staged, ch, vocabSize, separatorId);
        w.buffer.position(TokenFile.HEADER_BYTES); // the header is written on commit, when the count is known
        return w;
    }

    /** Appends tokens. */
    public void write(int[] ids) throws IOException {
        for (int id : ids) write(id);
    }

    /** Appends one token. */
    public void write(int id) throws IOException {
        if (id < 0 || id >= vocabSize) throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocabSize);
        if (buffer.remaining() < 4) flush();
        buffer.putInt(id);
        count++;
    }

    /** Tokens written so far. */
    public long count() {
        return count;
    }

    /** Writes the header, syncs and renames the file onto the target; returns the target. */
    public Path commit() throws IOException {
        if (done) throw new IllegalStateException("already committed or closed");
        flush();
        ByteBuffer header = ByteBuffer.allocate(TokenFile.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(TokenFile.MAGIC).putInt(TokenFile.VERSION).putLong(count).putInt(vocabSize).putInt(separatorId).flip();
        while (header.hasRemaining()) channel.write(header, header.position());
        channel.close();
        done = true;
        return staged.commit();
    }

    private void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) channel.write(buffer);
        buffer.clear();
    }

    /** Abandons an uncommitted file. */
    @Override
    public void close() throws IOException {
        if (done) return;
        done = true;
        try {
            channel.close();
        } finally {
            staged.close();
        }
    }
}
