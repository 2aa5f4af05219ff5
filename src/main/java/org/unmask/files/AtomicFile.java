package org.unmask.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * One file replaced all at once: the content goes to a hidden sibling ({@code .NAME.tmp-HEX}), which is fsynced,
 * renamed over the target, and the directory fsynced; readers and crashes see the old or the new file, never a part.
 */
public final class AtomicFile implements AutoCloseable {

    /** Writes the content of a file to the path it is given. */
    @FunctionalInterface
    public interface Body { void write(Path temp) throws IOException; }

    private final Path target;
    private final Path temp;
    private boolean done;

    private AtomicFile(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
    }

    /** Starts a staged write of {@code target}: an empty temporary file to fill, then {@link #commit} or close. */
    public static AtomicFile stage(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path parent = abs.getParent();
        if (parent != null) Files.createDirectories(parent);
        Path temp = Staging.sibling(abs, Staging.TMP);
        Files.createFile(temp);
        return new AtomicFile(abs, temp);
    }

    /** Writes {@code target} with {@code body} (which must write the whole file to the path it gets). */
    public static void write(Path target, Body body) throws IOException {
        try (AtomicFile f = stage(target)) {
            body.write(f.temp());
            f.commit();
        }
    }

    /** Writes {@code bytes} as {@code target}. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, t -> Files.write(t, bytes));
    }

    /** Writes {@code text} in UTF-8 as {@code target}. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, t -> Files.writeString(t, text, StandardCharsets.UTF_8));
    }

    /** Copies {@code source} to {@code target}. */
    public static void copy(Path source, Path target) throws IOException {
        write(target, t -> Files.copy(source, t, StandardCopyOption.REPLACE_EXISTING));
    }

    /** The temporary file being written. */
    public Path temp() { return temp; }

    /** Fsyncs the temporary file, renames it onto the target and fsyncs the directory; returns the target. */
    public Path commit() throws IOException {
        if (done) throw new IllegalStateException(target + ": already committed or abandoned");
        done = true;
        try {
            renameDurably(temp, target);
        } catch (IOException | RuntimeException e) {
            Staging.deleteQuietly(temp);
            throw e;
        }
        return target;
    }

    /**
     * Puts a complete file that was written under another name in the same directory (a download's {@code .incomplete}
     * file, whose name other tools expect) at {@code target}: fsynced, renamed, directory fsynced. On failure the
     * written file stays where it is.
     */
    public static Path publish(Path written, Path target) throws IOException {
        renameDurably(written, target);
        return target;
    }

    private static void renameDurably(Path from, Path to) throws IOException {
        Staging.fsyncFile(from);
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // a file system without atomic rename still gets a complete file; only the instant of the swap differs
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        Staging.fsyncDirectory(to.toAbsolutePath().getParent());
    }

    /** Abandons an uncommitted write, deleting the temporary file; the target is untouched. */
    @Override public void close() {
        if (done) return;
        done = true;
        Staging.deleteQuietly(temp);
    }
}
