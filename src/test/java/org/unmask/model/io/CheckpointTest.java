package org.unmask.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.unmask.model.LladaTensors;
import org.unmask.model.ModelConfig;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {

    @TempDir Path tmp;
    private final ModelConfig config = Fixtures.smallConfig();
    private final Map<String, Weights> tensors = Fixtures.randomTensors(config, 11);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a stored value must read back as, by the independent rounding reference. */
    private static float expected(float v, DType dtype) {
        return switch (dtype) {
            case F32 -> v;
            case BF16 -> Float.intBitsToFloat(ReferenceRounding.bf16(v) << 16);
            case F16 -> Float.float16ToFloat((short) ReferenceRounding.f16(v));
            default -> throw new AssertionError(dtype);
        };
    }

    private void assertMatches(Checkpoint ck, Map<String, Weights> original, DType dtype) {
        assertThat(ck.tensors().keySet()).containsExactlyElementsOf(LladaTensors.expectedShapes(config).keySet());
        for (Map.Entry<String, Weights> e : original.entrySet()) {
            Weights w = ck.tensors().get(e.getKey());
            assertThat(w.dtype()).isEqualTo(dtype);
            float[] want = Fixtures.toArray(e.getValue()), got = Fixtures.toArray(w);
            assertThat(got).hasSameSizeAs(want);
            for (int i = 0; i < want.length; i++) {
                assertThat(got[i]).as("%s[%d]", e.getKey(), i).isEqualTo(expected(want[i], dtype));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void singleFileRoundTrip(DType dtype) throws IOException {
        Path dir = tmp.resolve("m");
        Checkpoint.save(dir, config, tensors, dtype, 1L << 40);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("config.json", "model.safetensors");
        }
        String torch = Map.of(DType.F32, "float32", DType.BF16, "bfloat16", DType.F16, "float16").get(dtype);
        assertThat(JSON.readTree(dir.resolve("config.json").toFile()).get("torch_dtype").asText()).isEqualTo(torch);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertThat(ck.config()).isEqualTo(ModelConfig.read(dir.resolve("config.json")));
            assertThat(ck.config().dModel()).isEqualTo(config.dModel());
            assertThat(ck.config().nKvHeads()).isEqualTo(config.nKvHeads());
            assertMatches(ck, tensors, dtype);
        }
        assertThat(Files.list(tmp)).containsExactly(dir);
    }

    @Test
    void shardedRoundTripWritesAnIndexInCheckpointOrder() throws IOException {
        Path dir = tmp.resolve("sharded");
        long shard = 4000;
        Checkpoint.save(dir, config, tensors, DType.BF16, shard);
        JsonNode index = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        JsonNode map = index.get("weight_map");
        assertThat(map.size()).isEqualTo(tensors.size());
        long total = 0;
        for (Weights w : tensors.values()) total += w.size() * 2;
        assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(total);
        List<String> shardNames = Files.list(dir).map(p -> p.getFileName().toString())
                .filter(n -> n.endsWith(".safetensors")).sorted().toList();
        int n = shardNames.size();
        assertThat(n).isGreaterThan(2);
        for (int i = 0; i < n; i++) {
            assertThat(shardNames.get(i)).isEqualTo(String.format("model-%05d-of-%05d.safetensors", i + 1, n));
        }
        assertThat(dir.resolve("model.safetensors")).doesNotExist();
        // consecutive tensors in checkpoint order share a shard, and no shard exceeds the limit unless it holds one tensor
        int previous = 0;
        for (String t : LladaTensors.expectedShapes(config).keySet()) {
            int s = Integer.parseInt(map.get(t).asText().substring(6, 11));
            assertThat(s).isBetween(previous, previous + 1);
            previous = s;
        }
        Map<String, Long> bytesPerShard = new HashMap<>();
        Map<String, Integer> countPerShard = new HashMap<>();
        for (Map.Entry<String, Weights> e : tensors.entrySet()) {
            bytesPerShard.merge(map.get(e.getKey()).asText(), e.getValue().size() * 2, Long::sum);
            countPerShard.merge(map.get(e.getKey()).asText(), 1, Integer::sum);
        }
        bytesPerShard.forEach((s, b) -> assertThat(b <= shard || countPerShard.get(s) == 1).as(s).isTrue());
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertMatches(ck, tensors, DType.BF16);
            assertThat(ck.tensorInfos().get(LladaTensors.EMBEDDING).file().getFileName().toString())
                    .isEqualTo(shardNames.get(0));
        }
    }

    @Test
    void savingOverAModelKeepsOtherFilesAndDropsStaleShards() throws IOException {
        Path dir = tmp.resolve("m");
        Checkpoint.save(dir, config, tensors, DType.F32, 3000);
        Files.writeString(dir.resolve("tokenizer.json"), "{\"tok\":1}");
        Files.createDirectories(dir.resolve("extra/deeper"));
        Files.writeString(dir.resolve("extra/deeper/notes.txt"), "keep me");
        Files.writeString(dir.resolve(".model.safetensors.tmp-1f2e"), "debris of a crashed write");
        Map<String, Weights> other = Fixtures.randomTensors(config, 12);
        Checkpoint.save(dir, config, other, DType.F32, 1L << 30);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "config.json", "model.safetensors", "tokenizer.json", "extra");
        }
        assertThat(Files.readString(dir.resolve("tokenizer.json"))).isEqualTo("{\"tok\":1}");
        assertThat(Files.readString(dir.resolve("extra/deeper/notes.txt"))).isEqualTo("keep me");
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertMatches(ck, other, DType.F32);
        }
        assertThat(Files.list(tmp)).containsExactly(dir);
    }

    @Test
    void openingAModelThatACrashLeftUnderItsHiddenNamePointsAtIt() throws IOException {
        Path dir = tmp.resolve("m");
        Checkpoint.save(dir, config, tensors, DType.F32, 1L << 30);
        Path previous = tmp.resolve(".m.old-5a");
        Files.move(dir, previous);   // a crash between the two renames of a save without renameat2
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("no such model directory")
                .hasMessageContaining("previous version at " + previous);
        Checkpoint.save(dir, config, tensors, DType.BF16, 1L << 30);   // the next save brings it back, then replaces it
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertMatches(ck, tensors, DType.BF16);
        }
        assertThat(Files.list(tmp)).containsExactly(dir);
    }

    @Test
    void aModelCanBeResavedFromItsOwnMappedTensors() throws IOException {
        Path dir = tmp.resolve("m");
        Checkpoint.save(dir, config, tensors, DType.F32, 1L << 30);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            Checkpoint.save(dir, ck.config(), ck.tensors(), DType.BF16, 2000);
            // the old mapping stays readable after its files were replaced
            assertMatches(ck, tensors, DType.F32);
        }
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertMatches(ck, tensors, DType.BF16);
        }
    }

    @Test
    void aFailedSaveLeavesThePreviousDirectoryUntouched() throws IOException {
        Path dir = tmp.resolve("m");
        Checkpoint.save(dir, config, tensors, DType.F32, 1L << 30);
        byte[] before = Files.readAllBytes(dir.resolve("model.safetensors"));
        Map<String, TensorSource> sources = new LinkedHashMap<>();
        tensors.forEach((k, w) -> sources.put(k, TensorSource.of(w)));
        String victim = LladaTensors.block(1, "up_proj");
        sources.put(victim, new TensorSource() {
            public long size() { return tensors.get(victim).size(); }
            public void read(long offset, float[] dst, int dstOffset, int n) { throw new IllegalStateException("disk full"); }
        });
        assertThatThrownBy(() -> Checkpoint.saveSources(dir, config, sources, DType.BF16, 2000, null))
                .hasMessageContaining("disk full");
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(before);
        assertThat(Files.list(tmp)).containsExactly(dir);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertMatches(ck, tensors, DType.F32);
        }
    }

    @Test
    void saveRejectsMissingOrExtraTensors() {
        Map<String, Weights> fewer = new LinkedHashMap<>(tensors);
        fewer.remove(LladaTensors.FINAL_NORM);
        assertThatThrownBy(() -> Checkpoint.save(tmp.resolve("a"), config, fewer, DType.F32, 1L << 30))
                .hasMessageContaining("missing tensor '" + LladaTensors.FINAL_NORM + "'");
        Map<String, Weights> more = new LinkedHashMap<>(tensors);
        more.put("junk", new Weights.F32(new float[1], 0, 1));
        assertThatThrownBy(() -> Checkpoint.save(tmp.resolve("b"), config, more, DType.F32, 1L << 30))
                .hasMessageContaining("'junk'");
        Map<String, Weights> wrongSize = new LinkedHashMap<>(tensors);
        wrongSize.put(LladaTensors.FINAL_NORM, new Weights.F32(new float[3], 0, 3));
        assertThatThrownBy(() -> Checkpoint.save(tmp.resolve("c"), config, wrongSize, DType.F32, 1L << 30))
                .hasMessageContaining("'" + LladaTensors.FINAL_NORM + "' has 3 elements");
        assertThat(tmp.resolve("a")).doesNotExist();
        assertThat(tmp.resolve("c")).doesNotExist();
    }

    // ---- validation against config.json ----

    /** A directory whose single file holds {@code t} (shapes from {@code shapes}) in dtype. */
    private Path dirWith(Map<String, Weights> t, Map<String, long[]> shapes, DType dtype) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("d" + System.nanoTime()));
        config.write(dir.resolve("config.json"));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), t, shapes, dtype, Map.of("format", "pt"));
        return dir;
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Map<String, Weights> t = new LinkedHashMap<>(tensors);
        t.remove(LladaTensors.block(1, "k_proj"));
        Path dir = dirWith(t, LladaTensors.expectedShapes(config), DType.F32);
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("missing tensor '" + LladaTensors.block(1, "k_proj") + "'")
                .hasMessageContaining("n_layers=2");
    }

    @Test
    void extraTensorIsNamedWithItsFile() throws IOException {
        Map<String, Weights> t = new LinkedHashMap<>(tensors);
        t.put("model.transformer.blocks.2.q_proj.weight", new Weights.F32(new float[4], 0, 4));
        Map<String, long[]> shapes = new HashMap<>(LladaTensors.expectedShapes(config));
        shapes.put("model.transformer.blocks.2.q_proj.weight", new long[]{2, 2});
        Path dir = dirWith(t, shapes, DType.F32);
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("unexpected tensor 'model.transformer.blocks.2.q_proj.weight'");
    }

    @Test
    void shapeDisagreeingWithConfigIsNamed() throws IOException {
        Map<String, long[]> shapes = new HashMap<>(LladaTensors.expectedShapes(config));
        String k = LladaTensors.block(0, "k_proj");
        long[] s = shapes.get(k);
        shapes.put(k, new long[]{s[1], s[0]});   // transposed: same size, wrong shape
        Path dir = dirWith(tensors, shapes, DType.F32);
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("tensor '" + k + "'")
                .hasMessageContaining("shape [16, 8] does not match [8, 16]");
    }

    @Test
    void dtypeDisagreeingWithConfigIsNamed() throws IOException {
        Path dir = dirWith(tensors, LladaTensors.expectedShapes(config), DType.BF16);   // config says float32
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("model.safetensors")
                .hasMessageContaining("dtype BF16 disagrees with torch_dtype float32 in config.json");
    }

    @Test
    void integerTensorIsNotAWeight() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ints"));
        config.write(dir.resolve("config.json"));
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        for (Map.Entry<String, long[]> e : LladaTensors.expectedShapes(config).entrySet()) {
            long n = 1;
            for (long s : e.getValue()) n *= s;
            h.append('"').append(e.getKey()).append("\":{\"dtype\":\"I32\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(off).append(',').append(off + 4 * n).append("]},");
            off += 4 * n;
        }
        h.setLength(h.length() - 1);
        Fixtures.raw(dir.resolve("model.safetensors"), h.append('}').toString(), (int) off);
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("tensor '" + LladaTensors.EMBEDDING + "'")
                .hasMessageContaining("unsupported dtype for weights: I32");
    }

    @Test
    void directoryProblems() throws IOException {
        Path none = tmp.resolve("none");
        assertThatThrownBy(() -> Checkpoint.open(none)).hasMessageContaining("no such model directory");
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> Checkpoint.open(file)).hasMessageContaining("not a directory");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> Checkpoint.open(empty)).hasMessageContaining("config.json").hasMessageContaining("no such file");
        config.write(empty.resolve("config.json"));
        assertThatThrownBy(() -> Checkpoint.open(empty)).hasMessageContaining("no model.safetensors or model.safetensors.index.json");
    }

    // ---- sharded directories ----

    private Path sharded() throws IOException {
        Path dir = tmp.resolve("s");
        Checkpoint.save(dir, config, tensors, DType.F32, 3000);
        return dir;
    }

    @Test
    void indexPointingAtAMissingShard() throws IOException {
        Path dir = sharded();
        String name = shardName(dir, 2);
        Files.delete(dir.resolve(name));
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("model.safetensors.index.json")
                .hasMessageContaining("missing shard " + name);
    }

    @Test
    void brokenIndex() throws IOException {
        Path dir = sharded();
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"a\": ");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("model.safetensors.index.json")
                .hasMessageContaining("not valid JSON");
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\": {}}");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("missing object 'weight_map'");
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"" + LladaTensors.EMBEDDING + "\": \"../elsewhere.safetensors\"}}");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("not a file name in this directory");
    }

    @Test
    void indexAndShardsDisagree() throws IOException {
        Path dir = sharded();
        Path index = dir.resolve("model.safetensors.index.json");
        String original = Files.readString(index);
        ObjectMapper m = new ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) m.readTree(original);
        var map = (com.fasterxml.jackson.databind.node.ObjectNode) root.get("weight_map");
        String second = shardName(dir, 2);
        map.put(LladaTensors.EMBEDDING, second);   // the embedding really lives in shard 1
        Files.writeString(index, m.writeValueAsString(root));
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessageContaining("tensor '" + LladaTensors.EMBEDDING + "' is in " + second);
        root = (com.fasterxml.jackson.databind.node.ObjectNode) m.readTree(original);
        ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("weight_map")).remove(LladaTensors.FINAL_NORM);
        Files.writeString(index, m.writeValueAsString(root));
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("holds tensor '" + LladaTensors.FINAL_NORM + "'")
                .hasMessageContaining("does not list");
    }

    @Test
    void corruptShardIsNamed() throws IOException {
        Path dir = sharded();
        Path victim = dir.resolve(shardName(dir, 2));
        byte[] b = Files.readAllBytes(victim);
        Files.write(victim, java.util.Arrays.copyOf(b, b.length - 3));
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining(victim.toString())
                .hasMessageContaining("beyond the end of the data");
    }

    private static String shardName(Path dir, int i) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(String.format("model-%05d-", i)))
                    .findFirst().orElseThrow();
        }
    }
}
