package org.unmask.model.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ThreadLocalRandom;

/** Helpers for writes that either happen completely or not at all: temp names, fsync, recursive delete. */
final class AtomicFiles {
    private AtomicFiles() {}

    /** A fresh hidden sibling name such as {@code .model.safetensors.tmp-1a2b3c} for {@code target}. */
    static Path tempSibling(Path target, String tag) {
        String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        return target.resolveSibling("." + target.getFileName() + "." + tag + "-" + suffix);
    }

    /** Flushes a directory entry table to disk so that a rename inside it survives a crash (no-op where unsupported). */
    static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // some platforms cannot open directories; the rename is still atomic there, only not yet durable
        }
    }

    /** Deletes a file or a directory tree; missing paths are fine. */
    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
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

    /** Best-effort cleanup after a failed write; the original failure is what the caller reports. */
    static void deleteQuietly(Path p) {
        try {
            deleteRecursively(p);
        } catch (IOException ignored) {
            // leftover hidden temp entries are harmless and named so that they are recognisable
        }
    }
}
