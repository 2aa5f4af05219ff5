package org.unmask.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The hidden sibling names that staged writes use ({@code .NAME.TAG-HEX}), fsync, and recursive delete. Every
 * temporary entry this package creates matches {@link #isLeftover}, so debris of a crash is recognisable.
 */
public final class Staging {
    private Staging() {}

    /** Tag of a file being written. */
    static final String TMP = "tmp";
    /** Tag of a directory being written. */
    static final String SAVING = "saving";
    /** Tag of the previous version of a directory while it is being replaced. */
    static final String OLD = "old";

    private static final Pattern LEFTOVER = Pattern.compile("\\..+\\.(" + TMP + "|" + SAVING + "|" + OLD + ")-[0-9a-f]+");

    /** A fresh hidden sibling name such as {@code .model.safetensors.tmp-1a2b3c} for {@code target}. */
    static Path sibling(Path target, String tag) {
        String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        return target.resolveSibling("." + target.getFileName() + "." + tag + "-" + suffix);
    }

    /** Whether a file name is a temporary entry of an atomic write (possibly left by a crash). */
    public static boolean isLeftover(String name) {
        return LEFTOVER.matcher(name).matches();
    }

    /** Whether {@code name} is a temporary entry that a write of {@code target} with this tag creates. */
    static boolean isSiblingOf(String name, Path target, String tag) {
        String prefix = "." + target.getFileName() + "." + tag + "-";
        return name.startsWith(prefix) && name.length() > prefix.length()
                && name.substring(prefix.length()).chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }

    /** The existing siblings of {@code target} with this tag, in name order. */
    static List<Path> siblings(Path target, String tag) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        List<Path> out = new ArrayList<>();
        if (parent == null || !Files.isDirectory(parent)) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(parent,
                p -> isSiblingOf(p.getFileName().toString(), target, tag))) {
            s.forEach(out::add);
        }
        out.sort(null);
        return out;
    }

    /** Flushes a file's content to disk. */
    static void fsyncFile(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Flushes a directory's entry table so that renames inside it survive a crash (no-op where unsupported). */
    static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // some platforms cannot open directories; the rename is still atomic there, only not yet durable
        }
    }

    /** Fsyncs every regular file and directory under {@code root}, children before their directory. */
    static void fsyncTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                if (a.isRegularFile()) fsyncFile(f);
                return FileVisitResult.CONTINUE;
            }
            @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                fsyncDirectory(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Deletes a file or a directory tree; missing paths are fine. */
    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }
            @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Best-effort cleanup after a failed or finished write; the caller's own outcome is what matters. */
    static void deleteQuietly(Path p) {
        try {
            deleteRecursively(p);
        } catch (IOException ignored) {
            // a leftover is harmless: it is hidden and recognisable, and the next save of a directory removes it
        }
    }
}
