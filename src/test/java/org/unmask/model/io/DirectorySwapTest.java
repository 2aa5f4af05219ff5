package org.unmask.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DirectorySwapTest {

    @TempDir Path tmp;

    @Test
    void exchangeSwapsBothDirectoriesOrLeavesThemAlone() throws IOException {
        Path a = Files.createDirectory(tmp.resolve("a")), b = Files.createDirectory(tmp.resolve("b"));
        Files.writeString(a.resolve("f"), "A");
        Files.writeString(b.resolve("f"), "B");
        boolean swapped = DirectorySwap.exchange(a, b);
        assertThat(Files.readString(a.resolve("f"))).isEqualTo(swapped ? "B" : "A");
        assertThat(Files.readString(b.resolve("f"))).isEqualTo(swapped ? "A" : "B");
    }

    @Test
    void replaceInstallsTheNewDirectoryAndRemovesTheOld() throws IOException {
        Path target = Files.createDirectory(tmp.resolve("model"));
        Files.writeString(target.resolve("old.txt"), "old");
        Path fresh = Files.createDirectory(tmp.resolve(".model.saving-1"));
        Files.writeString(fresh.resolve("new.txt"), "new");
        DirectorySwap.replace(fresh, target);
        assertThat(Files.readString(target.resolve("new.txt"))).isEqualTo("new");
        assertThat(target.resolve("old.txt")).doesNotExist();
        try (var s = Files.list(tmp)) {
            assertThat(s).containsExactly(target);
        }
        Path another = Files.createDirectory(tmp.resolve(".other.saving-2"));
        DirectorySwap.replace(another, tmp.resolve("other"));
        assertThat(tmp.resolve("other")).isDirectory();
    }
}
