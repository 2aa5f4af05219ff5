package org.unmask.files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicDirectoryTest {
    @TempDir Path tmp;

    /** Every entry of the temp folder, by name. */
    private List<String> entries() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test void failedWriteLeavesThePreviousVersion() throws IOException {
        Path dir = tmp.resolve("run");
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("a.txt"), "v1"));
        assertThatThrownBy(() -> AtomicDirectory.replace(dir, d -> {
            Files.writeString(d.resolve("a.txt"), "v2-partial");
            throw new IOException("disk full");
        })).hasMessage("disk full");
        assertThat(Files.readString(dir.resolve("a.txt"))).isEqualTo("v1");
        assertThat(entries()).containsExactly("run");
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("a.txt"), "v2"));
        assertThat(Files.readString(dir.resolve("a.txt"))).isEqualTo("v2");
        assertThat(entries()).containsExactly("run");
    }

    @Test void recoversACrashBetweenTheRenames() throws IOException {
        Path dir = tmp.resolve("run");
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("a.txt"), "v1"));
        // simulate: old version moved aside, new one not yet in place, half-written staging left behind
        Files.move(dir, tmp.resolve(".run.old-1f"));
        Path staging = Files.createDirectories(tmp.resolve(".run.saving-2e"));
        Files.writeString(staging.resolve("a.txt"), "half");
        assertThat(AtomicDirectory.previousVersion(dir)).contains(tmp.resolve(".run.old-1f"));
        AtomicDirectory.recover(dir);
        assertThat(AtomicDirectory.previousVersion(dir)).isEmpty();
        assertThat(Files.readString(dir.resolve("a.txt"))).isEqualTo("v1");
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("b.txt"), "v2"));
        assertThat(dir.resolve("a.txt")).doesNotExist();
        assertThat(Files.readString(dir.resolve("b.txt"))).isEqualTo("v2");
        assertThat(entries()).containsExactly("run");
    }

    @Test void aPreviousVersionThatWasAlreadyReplacedIsDeletedByRecover() throws IOException {
        Path dir = tmp.resolve("run");
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("a.txt"), "new"));
        Path old = Files.createDirectories(tmp.resolve(".run.old-3c"));
        Files.writeString(old.resolve("a.txt"), "old");
        AtomicDirectory.recover(dir);
        assertThat(Files.readString(dir.resolve("a.txt"))).isEqualTo("new");
        assertThat(entries()).containsExactly("run");
    }

    @Test void staleStagingSiblingsAreRemovedAtTheNextSaveOfThatDirectoryOnly() throws IOException {
        Path dir = tmp.resolve("model");
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("w.bin"), "v1"));
        // a crash in the middle of two saves: one of this directory, one of a neighbour
        Path stale = Files.createDirectories(tmp.resolve(".model.saving-9a0b"));
        Files.writeString(stale.resolve("w.bin"), "half");
        Path neighbours = Files.createDirectories(tmp.resolve(".model2.saving-77"));
        Path unrelated = Files.createDirectories(tmp.resolve(".model.saving-notes"));
        AtomicDirectory.replace(dir, d -> Files.writeString(d.resolve("w.bin"), "v2"));
        assertThat(stale).doesNotExist();
        assertThat(neighbours).isDirectory();
        assertThat(unrelated).isDirectory();
        assertThat(Files.readString(dir.resolve("w.bin"))).isEqualTo("v2");
    }

    @Test void keptEntriesAreCarriedOverAndTheWritersFilesWin() throws IOException {
        Path dir = tmp.resolve("model");
        AtomicDirectory.replace(dir, d -> {
            Files.writeString(d.resolve("weights"), "w1");
            Files.writeString(d.resolve("tokenizer.json"), "tok");
            Files.createDirectories(d.resolve("extra/deeper"));
            Files.writeString(d.resolve("extra/deeper/notes.txt"), "keep me");
            Files.writeString(d.resolve("stale"), "regenerated, not kept");
            Files.writeString(d.resolve(".weights.tmp-1f2e"), "debris of a crashed write");
        });
        AtomicDirectory.replace(dir, name -> !name.equals("stale"), d -> {
            Files.writeString(d.resolve("weights"), "w2");
        });
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("weights", "tokenizer.json", "extra");
        }
        assertThat(Files.readString(dir.resolve("weights"))).isEqualTo("w2");
        assertThat(Files.readString(dir.resolve("tokenizer.json"))).isEqualTo("tok");
        assertThat(Files.readString(dir.resolve("extra/deeper/notes.txt"))).isEqualTo("keep me");
    }

    @Test void exchangeSwapsBothDirectoriesOrLeavesThemAlone() throws IOException {
        Path a = Files.createDirectory(tmp.resolve("a")), b = Files.createDirectory(tmp.resolve("b"));
        Files.writeString(a.resolve("f"), "A");
        Files.writeString(b.resolve("f"), "B");
        boolean swapped = RenameExchange.exchange(a, b);
        assertThat(Files.readString(a.resolve("f"))).isEqualTo(swapped ? "B" : "A");
        assertThat(Files.readString(b.resolve("f"))).isEqualTo(swapped ? "A" : "B");
    }

    @Test void replaceInstallsTheNewDirectoryAndRemovesTheOld() throws IOException {
        Path target = Files.createDirectory(tmp.resolve("model"));
        Files.writeString(target.resolve("old.txt"), "old");
        AtomicDirectory.replace(target, d -> Files.writeString(d.resolve("new.txt"), "new"));
        assertThat(Files.readString(target.resolve("new.txt"))).isEqualTo("new");
        assertThat(target.resolve("old.txt")).doesNotExist();
        try (var s = Files.list(tmp)) {
            assertThat(s).containsExactly(target);
        }
        AtomicDirectory.replace(tmp.resolve("other"), d -> {});
        assertThat(tmp.resolve("other")).isDirectory();
    }

    @Test void aFileInTheWayIsNamed() throws IOException {
        Path file = Files.writeString(tmp.resolve("model"), "not a directory");
        assertThatThrownBy(() -> AtomicDirectory.replace(file, d -> {}))
                .isInstanceOf(IOException.class).hasMessageContaining("model").hasMessageContaining("not a directory");
        assertThat(Files.readString(file)).isEqualTo("not a directory");
    }
}
