package org.unmask.files;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A whole directory replaced all at once, so that a reader or a crash sees the old or the new version, never a mix.
 * The new version is written into a hidden sibling {@code .NAME.saving-HEX}, every file and directory in it is
 * fsynced, and it is swapped in: on Linux both names are exchanged in one step ({@code renameat2}); elsewhere the old
 * version is first moved to {@code .NAME.old-HEX}, and {@link #recover} brings it back if a crash comes between the
 * two renames. Siblings left by a crashed save are removed by the next save of the same directory.
 */
public final class AtomicDirectory {
    private AtomicDirectory() {}

    /** Writes the content of the new version into the (empty) staging directory it is given. */
    @FunctionalInterface
    public interface Writer { void write(Path staging) throws IOException; }

    /** Replaces {@code dir} by what {@code writer} writes; nothing of the previous version is kept. */
    public static void replace(Path dir, Writer writer) throws IOException {
        replace(dir, name -> false, writer);
    }

    /**
     * Replaces {@code dir} by what {@code writer} writes, plus the entries of the previous version whose names
     * {@code keep} accepts and the writer did not write (hard-linked, or copied where links are not possible).
     * When the writer fails, the previous version is untouched and the staging directory removed.
     */
    public static void replace(Path dir, Predicate<String> keep, Writer writer) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.isSymbolicLink(target)) target = target.toRealPath();
        if (Files.exists(target) && !Files.isDirectory(target)) throw new IOException(target + ": exists and is not a directory");
        recover(target);
        for (Path stale : Staging.siblings(target, Staging.SAVING)) Staging.deleteRecursively(stale);
        Path staging = Staging.sibling(target, Staging.SAVING);
        try {
            Files.createDirectories(target.getParent());
            Files.createDirectory(staging);
        } catch (IOException e) {
            throw new IOException(target + ": cannot create the staging directory " + staging.getFileName()
                    + " beside it (" + e + ")", e);
        }
        try {
            writer.write(staging);
            if (Files.isDirectory(target)) carryOver(target, staging, keep);
            Staging.fsyncTree(staging);
            swapIn(staging, target);
        } catch (IOException | RuntimeException | Error e) {
            Staging.deleteQuietly(staging);
            throw e;
        }
    }

    /**
     * Finishes a replacement that a crash interrupted: when {@code dir} is missing its previous version is moved
     * back, and previous versions that were already replaced are deleted. A no-op when nothing was interrupted.
     */
    public static void recover(Path dir) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        List<Path> olds = new ArrayList<>(Staging.siblings(target, Staging.OLD));
        if (olds.isEmpty()) return;
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            // crashed between the two renames: the newest previous version is the last complete one
            olds.sort(Comparator.comparing(AtomicDirectory::modified));
            Files.move(olds.removeLast(), target, StandardCopyOption.ATOMIC_MOVE);
            Staging.fsyncDirectory(target.getParent());
        }
        for (Path old : olds) Staging.deleteRecursively(old);
    }

    /**
     * The previous version of {@code dir} that an interrupted replacement left under its hidden name, if any
     * ({@link #recover} moves it back; readers only point at it).
     */
    public static Optional<Path> previousVersion(Path dir) throws IOException {
        return Staging.siblings(dir.toAbsolutePath().normalize(), Staging.OLD).stream().max(Comparator.comparing(AtomicDirectory::modified));
    }

    /** Puts the complete {@code staging} directory at {@code target} and removes the previous version. */
    private static void swapIn(Path staging, Path target) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } else if (RenameExchange.exchange(staging, target)) {
            // staging now names the previous version; the save has succeeded even if removing it fails
            Staging.deleteQuietly(staging);
        } else {
            Path old = Staging.sibling(target, Staging.OLD);
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                throw e;
            }
            Staging.fsyncDirectory(target.getParent());
            Staging.deleteQuietly(old);
        }
        Staging.fsyncDirectory(target.getParent());
    }

    private static void carryOver(Path from, Path to, Predicate<String> keep) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(from)) {
            s.forEach(entries::add);
        }
        entries.sort(null);
        for (Path p : entries) {
            String name = p.getFileName().toString();
            Path dst = to.resolve(name);
            if (Staging.isLeftover(name) || !keep.test(name) || Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) continue;
            linkTree(p, dst);
        }
    }

    private static void linkTree(Path src, Path dst) throws IOException {
        if (Files.isSymbolicLink(src)) {
            Files.createSymbolicLink(dst, Files.readSymbolicLink(src));
        } else if (Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dst);
            try (DirectoryStream<Path> s = Files.newDirectoryStream(src)) {
                for (Path p : s) linkTree(p, dst.resolve(p.getFileName().toString()));
            }
        } else {
            // a hard link costs nothing for a multi-gigabyte file, and the previous version it shares the inode
            // with is deleted right after the swap
            try {
                Files.createLink(dst, src);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(src, dst, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
