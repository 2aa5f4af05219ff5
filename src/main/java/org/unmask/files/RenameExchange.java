package org.unmask.files;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** Linux {@code renameat2(RENAME_EXCHANGE)}: swaps two names in one step, so nobody ever sees neither. */
final class RenameExchange {
    private RenameExchange() {}

    private static final int AT_FDCWD = -100;
    private static final int RENAME_EXCHANGE = 2;
    private static final MethodHandle RENAMEAT2 = lookup();

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> sym = linker.defaultLookup().find("renameat2");
            return sym.map(s -> linker.downcallHandle(s, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            // native access disabled or an old C library: callers fall back to two renames
            return null;
        }
    }

    /** Atomically exchanges two existing paths; false when the platform or file system cannot. */
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
