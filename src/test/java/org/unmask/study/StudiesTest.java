package org.unmask.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every study in its quick form, end to end, and what a re-run does. */
class StudiesTest {
    private static final Path SHIPPED = Path.of("models/unmask-bible-9m");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    private StudySettings settings(Path out, Path encoder) {
        return new StudySettings(out, Scale.QUICK, 2, SHIPPED.resolve("tokenizer.json"), SHIPPED, null, encoder,
                new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    private void run(String study, Path out) throws IOException { run(study, out, null); }

    private void run(String study, Path out, Path encoder) throws IOException {
        Studies.named(study).run(new Harness(settings(out, encoder)));
        assertThat(out.resolve(Harness.SUMMARY)).exists();
        for (Path svg : Files.newDirectoryStream(out, "*.svg")) {
            try {
                var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
                assertThat(doc.getElementsByTagName("polyline").getLength()).as(svg.toString()).isPositive();
            } catch (Exception e) {
                throw new AssertionError(svg + " is not well-formed SVG", e);
            }
        }
    }

    private static List<JsonNode> rows(Path out, String keyPrefix) throws IOException {
        List<JsonNode> r = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve(Ledger.FILE)))
            if (!line.isBlank() && JSON.readTree(line).get("key").asText().startsWith(keyPrefix)) r.add(JSON.readTree(line));
        return r;
    }

    @Test void dataConstrainedTrainsEveryArmForItsEpochsAndARerunSkipsThem() throws IOException {
        Path out = tmp.resolve("dc");
        run("data-constrained", out);
        List<JsonNode> arms = rows(out, "arm:");
        assertThat(arms).hasSize(6);   // AR and diffusion x 2 seeds, and the sweep's two
        for (JsonNode a : arms) {
            JsonNode last = a.get("curve").get(a.get("curve").size() - 1);
            long unique = a.get("arm").get("train_tokens").asLong();
            // the sweep keeps the headline's total tokens (1,024 x 4 epochs) over less unique data
            assertThat(last.get("tokens").asLong()).isEqualTo(4 * 1024);
            assertThat(last.get("epochs").asDouble()).isEqualTo(4096.0 / unique);
            assertThat(a.get("final_bits_per_token").asDouble()).isBetween(1.0, 16.0);
        }
        assertThat(Files.readString(out.resolve(Harness.SUMMARY))).contains("| ar | 2 |", "| diffusion | 2 |", "crossover");

        Path state = out.resolve("arms/ar-u1024-s0/trainer_state.json");
        FileTime before = Files.getLastModifiedTime(state);
        String results = Files.readString(out.resolve(Ledger.FILE));
        log.reset();
        run("data-constrained", out);
        assertThat(Files.getLastModifiedTime(state)).isEqualTo(before);
        assertThat(Files.readString(out.resolve(Ledger.FILE))).isEqualTo(results);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("ar-u1024-s0: finished earlier (32 steps), skipped");
    }

    @Test void reversalAsksBothWaysAndARerunWithOtherSettingsIsRefused() throws IOException {
        Path out = tmp.resolve("rev");
        run("reversal", out);
        List<JsonNode> acc = rows(out, "accuracy:");
        assertThat(acc).hasSize(4);
        for (JsonNode a : acc) {
            assertThat(a.get("forward_accuracy").asDouble()).isBetween(0.0, 1.0);
            assertThat(a.get("backward_accuracy").asDouble()).isBetween(0.0, 1.0);
            if (a.get("objective").asText().equals("ar"))
                assertThat(a.get("forward_accuracy").asDouble()).isGreaterThan(a.get("backward_accuracy").asDouble());
        }
        // an arm directory trained with other settings is refused by name, not resumed
        Path id = out.resolve("arms/ar-s0/" + Harness.ARM_FILE);
        Files.writeString(id, Files.readString(id).replace("\"seed\" : 0", "\"seed\" : 5"));
        assertThatThrownBy(() -> run("reversal", out)).hasMessageContaining(id + " describes another arm (seed 5 -> 0)");
    }

    @Test void stepsJudgesEverySettingWithTheTrainedJudge() throws IOException {
        Path out = tmp.resolve("steps");
        run("steps", out);
        List<JsonNode> samples = rows(out, "sample:");
        assertThat(samples).hasSize(6 * 2);
        for (JsonNode r : samples) {
            double passes = r.get("forward_passes").asDouble();
            // without a KV cache every step is one forward pass; threshold decoding takes one per block at least and
            // one per token at most
            if (!r.has("threshold")) assertThat(passes).isEqualTo(r.get("steps").asDouble());
            else assertThat(passes).isBetween(4.0, 8.0);
            assertThat(r.get("judge_perplexity").asDouble()).isGreaterThan(1);
            // 2 samples of 8 tokens: at most 16 distinct tokens, log2(16) = 4 bits
            assertThat(r.get("unigram_entropy_bits").asDouble()).isBetween(0.0, 4.0);
        }
        assertThat(out.resolve("arms/judge-ar/tokenizer.json")).exists();
        assertThat(Files.readString(out.resolve(Harness.SUMMARY))).contains("real text", "low_confidence-4", "remdm-8", "threshold-0.3");
    }

    @Test void initAdaptsTheArArmAndSaysWhyTheEncoderArmIsSkipped() throws IOException {
        Path out = tmp.resolve("init");
        Path notAModel = Files.createDirectories(tmp.resolve("not-a-model"));
        run("init", out, notAModel);
        assertThat(Files.readString(out.resolve("arms/adapted-s0/config.json"))).contains("\"shift_logits\" : true");
        assertThat(rows(out, "arm:")).hasSize(6);
        assertThat(Files.readString(out.resolve(Harness.SUMMARY)))
                .contains("skipped: --encoder " + notAModel + " cannot be used (" + notAModel + ": not a model directory (config.json is missing))");
    }

    @Test void theEncoderArmGetsTheTrainingComputeOfTheOtherStarts() throws IOException {
        // a larger model takes proportionally fewer steps: here the shipped 8.7M model against the 2-layer BERT fixture
        double small = ArmResult.flopsPerToken(org.unmask.train.WarmStart.of(Path.of("src/test/resources/bert/bert")).config(), 24);
        double large = ArmResult.flopsPerToken(org.unmask.model.ModelConfig.read(SHIPPED.resolve("config.json")), 24);
        assertThat(large).isGreaterThan(50 * small);
        long steps = InitStudy.equalComputeSteps(12_000, small, large);
        assertThat(steps).isBetween(1L, 12_000L / 50);
        assertThat(Math.abs(steps * large - 12_000 * small)).isLessThanOrEqualTo(large / 2);
        assertThat(InitStudy.equalComputeSteps(3, small, large)).as("at least one step").isEqualTo(1);
    }

    @Test void scalingGivesEverySizeTheSameCompute() throws IOException {
        Path out = tmp.resolve("scaling");
        run("scaling", out);
        List<JsonNode> arms = rows(out, "arm:");
        assertThat(arms).hasSize(8);
        double first = -1;
        for (JsonNode a : arms) {
            JsonNode last = a.get("curve").get(a.get("curve").size() - 1);
            double flops = last.get("flops").asDouble(), perStep = flops / last.get("step").asDouble();
            if (first < 0) first = flops;
            assertThat(Math.abs(flops - first)).isLessThanOrEqualTo(perStep);   // equal up to one step's rounding
        }
    }
}
