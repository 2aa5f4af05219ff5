package org.unmask.data;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A memory-mapped token file: int32 little-endian token ids after a 24-byte header (magic "UMTK", version, int64
 * count, int32 vocabulary size, int32 separator id). Documents are separated by the separator id (end of text).
 */
public final class TokenFile implements AutoCloseable {

    static final int MAGIC = 0x4B544D55; // bytes "UMTK" read as a little-endian int
    static final int VERSION = 1;
    static final int HEADER_BYTES = 24;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment tokens;
    private final long count;
    private final int vocabSize;
    private final int separatorId;

    private TokenFile(Path path, Arena arena, MemorySegment tokens, long count, int vocabSize, int separatorId) {
        this.path = path;
        this.arena = arena;
        this.tokens = tokens;
        this.count = count;
        this.vocabSize = vocabSize;
        this.separatorId = separatorId;
    }

    /** Maps a token file, checking its header against the file's length. */
    public static TokenFile open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long length = ch.size();
            if (length < HEADER_BYTES) throw new IOException(file + ": not a token file (only " + length + " bytes)");
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, length, arena);
            int magic = all.get(INT, 0), version = all.get(INT, 4);
            long count = all.get(LONG, 8);
            int vocab = all.get(INT, 16), separator = all.get(INT, 20);
            if (magic != MAGIC) throw new IOException(file + ": not a token file (bad magic)");
            if (version != VERSION) throw new IOException(file + ": token file version " + version + ", expected " + VERSION);
            if (count < 0 || length != HEADER_BYTES + 4 * count) {
                throw new IOException(file + ": header says " + count + " tokens but the file has " + length + " bytes (truncated or corrupt)");
            }
            if (vocab <= 0 || separator < 0 || separator >= vocab) {
                throw new IOException(file + ": bad header (vocabulary size " + vocab + ", separator id " + separator + ")");
            }
            return new TokenFile(file, arena, all.asSlice(HEADER_BYTES), count, vocab, separator);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Number of tokens. */
    public long size() {
        return count;
    }

    /** Token {@code i}. */
    public int get(long i) {
        if (i < 0 || i >= count) throw new IndexOutOfBoundsException("token " + i + " of " + count);
        return tokens.getAtIndex(INT, i);
    }

    /** Copies tokens {@code from .. from+n-1} into {@code dst[dstOff ..]}. */
    public void copy(long from, int[] dst, int dstOff, int n) {
        if (from < 0 || n < 0 || from + n > count) throw new IndexOutOfBoundsException("tokens " + from + "+" + n + " of " + count);
        MemorySegment.copy(tokens, INT, from * 4, dst, dstOff, n);
    }

    /** Vocabulary size of the tokenizer that wrote the file. */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id separating documents (the tokenizer's end of text). */
    public int separatorId() {
        return separatorId;
    }

    /** The file. */
    public Path path() {
        return path;
    }

    @Override
    public void close() {
        arena.close();
    }
}
