package org.unmask.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.cli.Main;
import org.unmask.model.ModelConfig;
import org.unmask.model.tensor.DType;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class InitCommandTest {

    @TempDir Path tmp;
    private final StringWriter out = new StringWriter(), err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void presetTinyWritesAnOpenableDeterministicModel() throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        assertThat(run("init", "--preset", "tiny", "--out", a.toString(), "--seed", "7")).isZero();
        assertThat(out.toString()).contains("wrote " + a).contains("as f32").contains("seed 7");
        assertThat(run("init", "--preset", "tiny", "--out", b.toString(), "--seed", "7")).isZero();
        assertThat(Files.readAllBytes(b.resolve("model.safetensors"))).isEqualTo(Files.readAllBytes(a.resolve("model.safetensors")));
        try (Checkpoint ck = Checkpoint.open(a)) {
            ModelConfig tiny = ModelConfig.preset("tiny");
            assertThat(ck.config().dModel()).isEqualTo(tiny.dModel());
            assertThat(ck.config().nLayers()).isEqualTo(tiny.nLayers());
            assertThat(ck.config().maskTokenId()).isEqualTo(tiny.maskTokenId());
            assertThat(ck.tensors().values()).allMatch(w -> w.dtype() == DType.F32);
        }
    }

    @Test
    void configFileDtypeAndShardSize() throws IOException {
        Path cfg = tmp.resolve("config.json");
        Fixtures.smallConfig().write(cfg);
        Path dir = tmp.resolve("m");
        assertThat(run("init", "--config", cfg.toString(), "--out", dir.toString(), "--dtype", "bf16",
                "--shard-size", "3KB")).isZero();
        assertThat(dir.resolve("model.safetensors.index.json")).exists();
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertThat(ck.tensors().values()).allMatch(w -> w.dtype() == DType.BF16);
        }
    }

    @Test
    void refusesToOverwriteAModelUnlessForced() throws IOException {
        Path dir = tmp.resolve("m");
        assertThat(run("init", "--preset", "tiny", "--out", dir.toString(), "--seed", "1")).isZero();
        byte[] first = Files.readAllBytes(dir.resolve("model.safetensors"));
        assertThat(run("init", "--preset", "tiny", "--out", dir.toString(), "--seed", "2")).isEqualTo(2);
        assertThat(err.toString()).contains("already holds a model").contains("--force");
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(first);
        assertThat(run("init", "--preset", "tiny", "--out", dir.toString(), "--seed", "2", "--force")).isZero();
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isNotEqualTo(first);
    }

    @Test
    void badArgumentsGiveUsageErrors() {
        Path dir = tmp.resolve("x");
        assertThat(run("init", "--preset", "tiny", "--config", "c.json", "--out", dir.toString())).isEqualTo(2);
        assertThat(run("init", "--out", dir.toString())).isEqualTo(2);
        assertThat(run("init", "--preset", "tiny", "--out", dir.toString(), "--dtype", "f64")).isEqualTo(2);
        assertThat(err.toString()).contains("Invalid value for option '--dtype': expected f32, bf16 or f16, got 'f64'");
        assertThat(run("init", "--preset", "tiny", "--out", dir.toString(), "--shard-size", "lots")).isEqualTo(2);
        assertThat(err.toString()).contains("--shard-size");
        assertThat(run("init", "--preset", "huge", "--out", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("unknown preset 'huge'");
        assertThat(run("init", "--config", tmp.resolve("missing.json").toString(), "--out", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("missing.json: no such file");
        assertThat(dir).doesNotExist();
    }
}
