package org.unmask.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsValidationTest {

    @TempDir Path dir;

    private static final String GOOD = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[8,16]}}";

    @Test
    void aWellFormedHandMadeFileOpens() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.raw(dir.resolve("ok.safetensors"), GOOD, 16))) {
            assertThat(f.tensors()).containsOnlyKeys("a", "b");
            assertThat(f.weights("b").size()).isEqualTo(4);
        }
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[]{1, 2, 3});
        assertThatThrownBy(() -> SafetensorsFile.open(f)).isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("truncated");
    }

    @Test
    void emptyFile() throws IOException {
        Path f = Files.createFile(dir.resolve("empty.safetensors"));
        assertThatThrownBy(() -> SafetensorsFile.open(f)).hasMessageContaining("truncated");
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.safetensors");
        assertThatThrownBy(() -> SafetensorsFile.open(f)).isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("no such file");
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        Path f = Fixtures.raw(dir.resolve("long.safetensors"), 5000, GOOD, 16);
        assertThatThrownBy(() -> SafetensorsFile.open(f)).hasMessageContaining(f.toString())
                .hasMessageContaining("header length 5000 is larger than the file");
    }

    @Test
    void absurdHeaderLengths() throws IOException {
        Path huge = Fixtures.raw(dir.resolve("huge.safetensors"), 1L << 50, GOOD, 16);
        assertThatThrownBy(() -> SafetensorsFile.open(huge)).hasMessageContaining("absurd");
        Path negative = Fixtures.raw(dir.resolve("neg.safetensors"), -1, GOOD, 16);
        assertThatThrownBy(() -> SafetensorsFile.open(negative)).hasMessageContaining("absurd")
                .hasMessageContaining("18446744073709551615");
    }

    @Test
    void brokenJson() throws IOException {
        Path f = Fixtures.raw(dir.resolve("json.safetensors"), "{\"a\":{\"dtype\":\"F32\",", 0);
        assertThatThrownBy(() -> SafetensorsFile.open(f)).hasMessageContaining(f.toString())
                .hasMessageContaining("not valid JSON");
        Path arr = Fixtures.raw(dir.resolve("arr.safetensors"), "[1, 2]   ", 0);
        assertThatThrownBy(() -> SafetensorsFile.open(arr)).hasMessageContaining("must be a JSON object");
        Path dup = Fixtures.raw(dir.resolve("dup.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(dup)).hasMessageContaining("Duplicate field 'a'");
    }

    @Test
    void malformedEntries() throws IOException {
        Path noOffsets = Fixtures.raw(dir.resolve("e1.safetensors"), "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
        assertThatThrownBy(() -> SafetensorsFile.open(noOffsets)).hasMessageContaining("tensor 'w'")
                .hasMessageContaining("data_offsets");
        Path negShape = Fixtures.raw(dir.resolve("e2.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
        assertThatThrownBy(() -> SafetensorsFile.open(negShape)).hasMessageContaining("tensor 'w'")
                .hasMessageContaining("shape[0]");
        Path overflow = Fixtures.raw(dir.resolve("e3.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,8],\"data_offsets\":[0,4]}}", 4);
        assertThatThrownBy(() -> SafetensorsFile.open(overflow)).hasMessageContaining("too large");
        Path backwards = Fixtures.raw(dir.resolve("e4.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4);
        assertThatThrownBy(() -> SafetensorsFile.open(backwards)).hasMessageContaining("end before begin");
    }

    @Test
    void offsetsBeyondTheDataMeanATruncatedFile() throws IOException {
        Path f = Fixtures.raw(dir.resolve("cut.safetensors"), GOOD, 12);
        assertThatThrownBy(() -> SafetensorsFile.open(f)).hasMessageContaining(f.toString())
                .hasMessageContaining("tensor 'b'").hasMessageContaining("beyond the end of the data (12 bytes");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path f = Fixtures.raw(dir.resolve("overlap.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertThatThrownBy(() -> SafetensorsFile.open(f)).hasMessageContaining("'a'").hasMessageContaining("'b'")
                .hasMessageContaining("overlap");
    }

    @Test
    void offsetsThatDoNotMatchDtypeTimesShape() throws IOException {
        Path f = Fixtures.raw(dir.resolve("size.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(f)).hasMessageContaining("tensor 'w'")
                .hasMessageContaining("span 8 bytes but F32 [3] needs 12");
    }

    @Test
    void unknownAndUnsupportedDtypes() throws IOException {
        Path unknown = Fixtures.raw(dir.resolve("q.safetensors"),
                "{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        assertThatThrownBy(() -> SafetensorsFile.open(unknown)).hasMessageContaining("tensor 'w'")
                .hasMessageContaining("unknown dtype 'Q4_K'");
        Path f64 = Fixtures.raw(dir.resolve("f64.safetensors"),
                "{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(f64)).hasMessageContaining("tensor 'w'")
                .hasMessageContaining("unsupported dtype for weights: F64");
        Path ints = Fixtures.raw(dir.resolve("i32.safetensors"),
                "{\"ids\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        try (SafetensorsFile sf = SafetensorsFile.open(ints)) {
            assertThat(sf.bytes("ids").byteSize()).isEqualTo(8);
            assertThatThrownBy(() -> sf.weights("ids")).hasMessageContaining("'ids'")
                    .hasMessageContaining("unsupported dtype for weights: I32");
            assertThatThrownBy(() -> sf.readF32("missing")).hasMessageContaining("no tensor named 'missing'");
        }
    }
}
