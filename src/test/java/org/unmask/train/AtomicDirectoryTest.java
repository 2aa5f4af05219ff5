package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicDirectoryTest {
    @TempDir Path tmp;

    @Test void failedWriteLeavesThePreviousVersion() throws IOException {
        Path dir = tmp.resolve("run");
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("a.txt"), "v1"));
        assertThatThrownBy(() -> AtomicDirectory.replace(dir, d -> {
            Files.writeString(d.resolve("a.txt"), "v2-partial");
            throw new IOException("disk full");
        })).hasMessage("disk full");
        assertThat(Files.readString(dir.resolve("a.txt"))).isEqualTo("v1");
        assertThat(AtomicDirectory.staging(dir)).doesNotExist();
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("a.txt"), "v2"));
        assertThat(Files.readString(dir.resolve("a.txt"))).isEqualTo("v2");
        assertThat(AtomicDirectory.previous(dir)).doesNotExist();
    }

    @Test void recoversACrashBetweenTheRenames() throws IOException {
        Path dir = tmp.resolve("run");
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("a.txt"), "v1"));
        // simulate: old version moved aside, new one not yet in place, half-written staging left behind
        Files.move(dir, AtomicDirectory.previous(dir));
        Files.createDirectories(AtomicDirectory.staging(dir));
        Files.writeString(AtomicDirectory.staging(dir).resolve("a.txt"), "half");
        AtomicDirectory.recover(dir);
        assertThat(Files.readString(dir.resolve("a.txt"))).isEqualTo("v1");
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("b.txt"), "v2"));
        assertThat(dir.resolve("a.txt")).doesNotExist();
        assertThat(Files.readString(dir.resolve("b.txt"))).isEqualTo("v2");
    }
}
