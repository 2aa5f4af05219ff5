package org.unmask.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {

    @TempDir
    Path dir;

    @Test
    void roundTripAndOnDiskLayout() throws IOException {
        int[] ids = new Random(7).ints(300_000, 0, 50_000).toArray(); // more than one write buffer
        Path file = dir.resolve("t.tokens");
        try (TokenFileWriter w = TokenFileWriter.create(file, 50_000, 0)) {
            w.write(Arrays.copyOf(ids, 1000));
            for (int i = 1000; i < ids.length; i++) w.write(ids[i]);
            assertThat(w.count()).isEqualTo(ids.length);
            assertThat(file).doesNotExist(); // nothing under the final name before commit
            w.commit();
        }
        assertThat(Files.list(dir).toList()).containsExactly(file);

        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new String(Files.readAllBytes(file), 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("UMTK");
        assertThat(raw.getInt(4)).isEqualTo(1);
        assertThat(raw.getLong(8)).isEqualTo(ids.length);
        assertThat(raw.getInt(16)).isEqualTo(50_000);
        assertThat(raw.getInt(20)).isEqualTo(0);
        assertThat(raw.getInt(24 + 4 * 12345)).isEqualTo(ids[12345]);
        assertThat(raw.capacity()).isEqualTo(24 + 4L * ids.length);

        try (TokenFile t = TokenFile.open(file)) {
            assertThat(t.size()).isEqualTo(ids.length);
            assertThat(t.vocabSize()).isEqualTo(50_000);
            assertThat(t.separatorId()).isZero();
            for (int i = 0; i < ids.length; i += 997) assertThat(t.get(i)).isEqualTo(ids[i]);
            int[] dst = new int[1010];
            t.copy(ids.length - 1000, dst, 10, 1000);
            assertThat(Arrays.copyOfRange(dst, 10, 1010)).containsExactly(Arrays.copyOfRange(ids, ids.length - 1000, ids.length));
            assertThatThrownBy(() -> t.get(ids.length)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> t.copy(ids.length - 5, dst, 0, 6)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void uncommittedWriterLeavesNothingAndIdsAreChecked() throws IOException {
        Path file = dir.resolve("u.tokens");
        try (TokenFileWriter w = TokenFileWriter.create(file, 10, 0)) {
            w.write(9);
            assertThatThrownBy(() -> w.write(10)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 10");
        }
        assertThat(Files.list(dir).toList()).isEmpty();
    }

    @Test
    void damagedFilesAreRejectedWithTheirName() throws IOException {
        Path file = dir.resolve("d.tokens");
        try (TokenFileWriter w = TokenFileWriter.create(file, 10, 0)) {
            w.write(new int[] {1, 2, 3});
            w.commit();
        }
        byte[] good = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(good, good.length - 2));
        assertThatThrownBy(() -> TokenFile.open(file)).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("truncated");
        byte[] bad = good.clone();
        bad[0] = 'X';
        Files.write(file, bad);
        assertThatThrownBy(() -> TokenFile.open(file)).hasMessageContaining("bad magic");
        Files.write(file, new byte[5]);
        assertThatThrownBy(() -> TokenFile.open(file)).hasMessageContaining("not a token file");
    }
}
