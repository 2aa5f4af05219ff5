package org.unmask.model.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;

/**
 * Replaces a directory by a fully written sibling. On Linux both names are exchanged in one step
 * ({@code renameat2(RENAME_EXCHANGE)}), so a reader or a crash sees either the old or the new directory, never a mix
 * and never nothing; elsewhere the old directory is moved aside first, and a crash in that short window leaves both
 * complete copies under hidden sibling names.
 */
final class DirectorySwap {
    private DirectorySwap() {}

    private static final int AT_FDCWD = -100;
    private static final int RENAME_EXCHANGE = 2;
    private static final MethodHandle RENAMEAT2 = lookupRenameat2();

    private static MethodHandle lookupRenameat2() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> sym = linker.defaultLookup().find("renameat2");
            return sym.map(s -> linker.downcallHandle(s, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            // native access disabled or an old C library: the two-rename path below still works
            return null;
        }
    }

    /** Puts {@code fresh} at {@code target}; the previous {@code target} (if any) is deleted afterwards. */
    static void replace(Path fresh, Path target) throws IOException {
        if (!Files.exists(target)) {
            Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
        } else if (exchange(fresh, target)) {
            // fresh now names the old directory; the save has succeeded even if removing it fails
            AtomicFiles.deleteQuietly(fresh);
        } else {
            Path old = AtomicFiles.tempSibling(target, "old");
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            try {
                Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                throw e;
            }
            AtomicFiles.deleteQuietly(old);
        }
        AtomicFiles.fsyncDirectory(target.toAbsolutePath().getParent());
    }

    /** Atomically exchanges two paths; false when the platform or file system cannot. */
    static boolean exchange(Path a, Path b) {
        if (RENAMEAT2 == null) return false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pa = arena.allocateFrom(a.toAbsolutePath().toString());
            MemorySegment pb = arena.allocateFrom(b.toAbsolutePath().toString());
            return (int) RENAMEAT2.invokeExact(AT_FDCWD, pa, AT_FDCWD, pb, RENAME_EXCHANGE) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
