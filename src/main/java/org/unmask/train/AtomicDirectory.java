package org.unmask.train;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Replaces a whole directory so that a crash at any moment leaves either the old or the new complete version:
 * the new content is written to a sibling {@code NAME.tmp}, the old directory is renamed to {@code NAME.old}, the
 * new one renamed into place, and the old one deleted. {@link #recover(Path)} finishes an interrupted swap.
 */
public final class AtomicDirectory {
    private AtomicDirectory() {}

    /** Writes the content of a directory. */
    @FunctionalInterface
    public interface Writer { void write(Path dir) throws IOException; }

    /** The staging sibling. */
    public static Path staging(Path dir) { return dir.resolveSibling(dir.getFileName() + ".tmp"); }

    /** Where the previous version waits during a swap. */
    public static Path previous(Path dir) { return dir.resolveSibling(dir.getFileName() + ".old"); }

    /** Writes a complete new version of {@code dir} with {@code writer}, then swaps it in. */
    public static void replace(Path dir, Writer writer) throws IOException {
        recover(dir);
        Path tmp = staging(dir), old = previous(dir);
        deleteTree(tmp);
        Files.createDirectories(tmp);
        try {
            writer.write(tmp);
        } catch (IOException | RuntimeException | Error e) {
            deleteTree(tmp);   // the previous version is untouched
            throw e;
        }
        if (Files.exists(dir)) move(dir, old);
        move(tmp, dir);
        deleteTree(old);
    }

    /** Completes or rolls back a swap that a crash interrupted; a no-op when nothing was interrupted. */
    public static void recover(Path dir) throws IOException {
        Path old = previous(dir);
        if (!Files.exists(old)) return;
        if (Files.exists(dir)) deleteTree(old);   // the new version was already in place
        else move(old, dir);                      // crashed between the two renames: the old version is the good one
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot rename " + from + " to " + to + ": target exists", e);
        }
    }

    /** Deletes a directory tree if it exists. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
