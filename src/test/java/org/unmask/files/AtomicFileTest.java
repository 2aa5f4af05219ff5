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

class AtomicFileTest {
    @TempDir Path tmp;

    private List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test void writesReplacesAndLeavesNoTemporaryFile() throws IOException {
        Path f = tmp.resolve("sub/dir/config.json");
        AtomicFile.writeString(f, "v1 é");
        assertThat(Files.readString(f)).isEqualTo("v1 é");
        AtomicFile.writeBytes(f, new byte[] {1, 2, 3});
        assertThat(Files.readAllBytes(f)).containsExactly(1, 2, 3);
        assertThat(entries(f.getParent())).containsExactly("config.json");
    }

    @Test void aFailingBodyLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path f = tmp.resolve("state.json");
        AtomicFile.writeString(f, "good");
        assertThatThrownBy(() -> AtomicFile.write(f, t -> {
            Files.writeString(t, "half");
            throw new IOException("disk full");
        })).hasMessage("disk full");
        assertThat(Files.readString(f)).isEqualTo("good");
        assertThat(entries(tmp)).containsExactly("state.json");
    }

    @Test void theTemporaryFileIsAHiddenRecognisableSibling() throws IOException {
        Path f = tmp.resolve("model.safetensors");
        try (AtomicFile staged = AtomicFile.stage(f)) {
            String name = staged.temp().getFileName().toString();
            assertThat(name).startsWith(".model.safetensors.tmp-");
            assertThat(Staging.isLeftover(name)).isTrue();
            assertThat(staged.temp().getParent()).isEqualTo(f.toAbsolutePath().getParent());
        }
        assertThat(entries(tmp)).isEmpty();   // closed without commit: abandoned
        assertThat(Staging.isLeftover("model.safetensors")).isFalse();
        assertThat(Staging.isLeftover(".model.saving-notes")).isFalse();
    }

    @Test void copyDuplicatesTheSource() throws IOException {
        Path src = Files.writeString(tmp.resolve("a"), "content");
        AtomicFile.copy(src, tmp.resolve("b"));
        assertThat(Files.readString(tmp.resolve("b"))).isEqualTo("content");
        assertThat(entries(tmp)).containsExactly("a", "b");
    }

    @Test void publishRenamesACompleteFileOntoItsTargetUnderTheWrittenName() throws IOException {
        Path written = tmp.resolve("abc.incomplete");
        Files.writeString(written, "verified");
        AtomicFile.writeString(tmp.resolve("abc"), "old");
        assertThat(AtomicFile.publish(written, tmp.resolve("abc"))).isEqualTo(tmp.resolve("abc"));
        assertThat(Files.readString(tmp.resolve("abc"))).isEqualTo("verified");
        assertThat(entries(tmp)).containsExactly("abc");
    }
}
