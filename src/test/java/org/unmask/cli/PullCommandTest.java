package org.unmask.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.hub.FakeHub;
import org.unmask.model.ModelConfig;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.RandomInit;
import org.unmask.model.tensor.DType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code unmask pull} and {@code --model ORG/NAME} as a user meets them: the real launcher class in a child JVM whose
 * environment (HF_ENDPOINT, HF_HOME, HF_TOKEN, HF_HUB_OFFLINE) points at a local Hub and a temporary cache.
 */
@Timeout(300)
class PullCommandTest {
    static final ModelConfig CONFIG = new ModelConfig(16, 2, 4, 2, 24, 13, 13, 32, 10000.0, 1e-5, false, 2, 0, 0, 1);

    @TempDir Path tmp;
    FakeHub fake;
    String commit;

    record Run(int code, String out, String err) {}

    @BeforeEach void hubWithATinyModel() throws Exception {
        fake = new FakeHub();
        Path model = tmp.resolve("made");
        // small shards: the snapshot needs the index and every shard it names
        Checkpoint.saveSources(model, CONFIG, RandomInit.tensors(CONFIG, 3), DType.F32, 8_000, null);
        Map<String, byte[]> files = new LinkedHashMap<>();
        Set<String> lfs = new java.util.HashSet<>();
        try (Stream<Path> s = Files.list(model)) {
            for (Path p : s.sorted().toList()) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
                if (p.toString().endsWith(".safetensors")) lfs.add(p.getFileName().toString());
            }
        }
        files.put("pytorch_model.bin", new byte[] {1, 2, 3});   // a format Unmask does not read: --model skips it
        commit = fake.repo("org/tiny").commit("main", files, lfs);
        fake.repo("org/gated").commit("main", Map.of("config.json", "{}".getBytes(StandardCharsets.UTF_8)), Set.of());
        fake.repo("org/gated").gated = true;
    }

    @AfterEach void stop() { fake.close(); }

    Run unmask(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("HUGGING") || k.equals("TRANSFORMERS_OFFLINE")
                || k.equals("UNMASK_DEBUG"));
        pb.environment().put("HF_HOME", tmp.resolve("hf").toString());
        pb.environment().put("HF_ENDPOINT", fake.endpoint().toString());
        pb.environment().putAll(env);
        Path out = tmp.resolve("stdout"), err = tmp.resolve("stderr");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("unmask " + String.join(" ", args) + " did not finish");
        }
        // the JVM's own notice about the Vector API incubator module is not the command's output
        String errText = Files.readString(err).lines().filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                .map(l -> l + "\n").reduce("", String::concat);
        Run r = new Run(p.exitValue(), Files.readString(out), errText);
        // user errors are one line, never a stack trace
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
        return r;
    }

    @Test void pullPrintsTheSnapshotAndASummaryAndModelTakesTheHubName() throws Exception {
        Path snapshot = tmp.resolve("hf/hub/models--org--tiny/snapshots").resolve(commit);
        Run pull = unmask(Map.of("HF_TOKEN", "hf_secret"), "pull", "org/tiny", "--exclude", "*.bin");
        assertThat(pull.code()).as(pull.err()).isZero();
        assertThat(pull.out().strip()).isEqualTo(snapshot.toString());
        assertThat(pull.err()).contains("org/tiny@main (" + commit.substring(0, 8) + "): ").contains(" downloaded (")
                .contains("0 already in the cache");
        assertThat(Files.readString(tmp.resolve("hf/hub/models--org--tiny/refs/main"))).isEqualTo(commit);
        assertThat(snapshot.resolve("pytorch_model.bin")).doesNotExist();
        assertThat(fake.requests("cdn")).isNotEmpty().allMatch(q -> q.authorization() == null);

        // offline, with the Hub gone: --model resolves from the cache alone
        fake.close();
        Path logits = tmp.resolve("logits.safetensors");
        Run offline = unmask(Map.of("HF_HUB_OFFLINE", "1"), "logits", "--model", "org/tiny", "--ids", "5 9 3", "--out", logits.toString());
        assertThat(offline.code()).as(offline.err()).isZero();
        assertThat(logits).isNotEmptyFile();
    }

    @Test void oneGgufFileOfARepositoryIsAModelAndPullsAlone() throws Exception {
        Path made = tmp.resolve("made"), gguf = tmp.resolve("tiny-Q8_0.gguf");
        Run q = unmask(Map.of(), "quantize", "--model", made.toString(), "--type", "q8_0", "--out", gguf.toString());
        assertThat(q.code()).as(q.err()).isZero();
        String sha = fake.repo("org/tiny-GGUF").commit("main", Map.of("tiny-Q8_0.gguf", Files.readAllBytes(gguf),
                "tiny-F16.gguf", new byte[100_000], "README.md", new byte[0]), Set.of("tiny-Q8_0.gguf", "tiny-F16.gguf"));
        Path file = tmp.resolve("hf/hub/models--org--tiny-GGUF/snapshots").resolve(sha).resolve("tiny-Q8_0.gguf");

        Run gen = unmask(Map.of(), "generate", "--model", "org/tiny-GGUF/tiny-Q8_0.gguf", "--prompt-ids", "5 9 3",
                "--gen-length", "8", "--steps", "4", "--block-length", "8", "--print-ids");
        assertThat(gen.code()).as(gen.err()).isZero();
        Run local = unmask(Map.of(), "generate", "--model", gguf.toString(), "--prompt-ids", "5 9 3",
                "--gen-length", "8", "--steps", "4", "--block-length", "8", "--print-ids");
        assertThat(gen.out()).as("the Hub's copy is the file").isEqualTo(local.out());
        Run byTag = unmask(Map.of(), "generate", "--model", "org/tiny-GGUF:q8_0", "--prompt-ids", "5 9 3",
                "--gen-length", "8", "--steps", "4", "--block-length", "8", "--print-ids");
        assertThat(byTag.out()).as("named by its quantization, as llama.cpp's -hf names it").isEqualTo(local.out());
        assertThat(file).exists();
        assertThat(file.resolveSibling("tiny-F16.gguf")).doesNotExist();
        assertThat(fake.downloads()).noneMatch(r -> r.path().contains("F16") || r.path().contains("README"));

        Run pull = unmask(Map.of(), "pull", "org/tiny-GGUF/tiny-Q8_0.gguf");
        assertThat(pull.code()).as(pull.err()).isZero();
        assertThat(pull.out().strip()).isEqualTo(file.toString());
        Run both = unmask(Map.of(), "pull", "org/tiny-GGUF/tiny-Q8_0.gguf", "--include", "*.json");
        assertThat(both.code()).isNotZero();
        assertThat(both.err()).contains("--include and --exclude choose files of a repository");
    }

    @Test void modelPullsWhatIsMissingThenLoads() throws Exception {
        Run gen = unmask(Map.of(), "generate", "--model", "org/tiny", "--prompt-ids", "5 9 3", "--gen-length", "8",
                "--steps", "4", "--block-length", "8", "--print-ids");
        assertThat(gen.code()).as(gen.err()).isZero();
        String[] lines = gen.out().strip().split("\n");
        assertThat(lines[lines.length - 1].split(" ")).hasSize(11);
        Path snapshot = tmp.resolve("hf/hub/models--org--tiny/snapshots").resolve(commit);
        assertThat(snapshot.resolve("config.json")).exists();
        assertThat(snapshot.resolve("model.safetensors.index.json")).exists();
        assertThat(snapshot.resolve("pytorch_model.bin")).doesNotExist();
        assertThat(gen.err()).contains("org/tiny@main (");

        // complete in the cache: the next load does not ask the Hub at all
        fake.requests.clear();
        assertThat(unmask(Map.of(), "generate", "--model", "org/tiny", "--prompt-ids", "5", "--gen-length", "4",
                "--steps", "2", "--block-length", "4").code()).isZero();
        assertThat(fake.requests).isEmpty();
    }

    @Test void errorsAreOneLineThatNamesTheRepository() throws Exception {
        Run gated = unmask(Map.of(), "pull", "org/gated");
        assertThat(gated.code()).isEqualTo(1);
        assertThat(gated.err().strip()).isEqualTo("error: org/gated is a gated repository: accept its conditions at "
                + fake.endpoint() + "/org/gated and set HF_TOKEN to an access token of that account (HTTP 401)");
        assertThat(gated.out()).isEmpty();

        Run offline = unmask(Map.of("HF_HUB_OFFLINE", "1"), "generate", "--model", "runs/tiny", "--prompt-ids", "5", "--gen-length", "4");
        assertThat(offline.code()).isEqualTo(1);
        assertThat(offline.err()).startsWith("error: 'runs/tiny' is not a directory, so it was taken as a Hub model: runs/tiny@main"
                + " is not in the Hugging Face cache").contains("HF_HUB_OFFLINE");

        Run bad = unmask(Map.of(), "pull", "tiny");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("'tiny' is not a Hub model reference of the form ORG/NAME");
    }
}
