package org.unmask.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.BertFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.io.SafetensorsFile;
import org.unmask.model.io.SafetensorsWriter;
import org.unmask.train.TrainerState;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code train --init-from} a BERT-family directory: a headless {@code BertModel} gets a tied MLM head, trains with
 * the diffusion objective on its own vocabulary ([MASK], documents separated by [SEP]), is saved as a
 * {@code BertForMaskedLM} directory, and eval reads the figure training's validation printed.
 */
class BertTrainTest {
    @TempDir Path tmp;

    /** The bert fixture as a BertModel: config.json's architecture changed, the MLM head's tensors left out. */
    Path headless() throws Exception {
        Path src = Path.of("src/test/resources/bert/bert"), dir = tmp.resolve("encoder");
        Files.createDirectories(dir);
        Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("config.json"),
                Files.readString(src.resolve("config.json")).replace("BertForMaskedLM", "BertModel"));
        Map<String, float[]> t = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            for (var e : f.tensors().entrySet()) {
                if (!e.getKey().startsWith("bert.encoder") && !e.getKey().startsWith("bert.embeddings.LayerNorm")
                        && !e.getKey().endsWith("_embeddings.weight")) continue;
                t.put(e.getKey(), f.readF32(e.getKey()));
                shapes.put(e.getKey(), e.getValue().shape());
            }
        }
        SafetensorsWriter.writeF32(dir.resolve("model.safetensors"), t, shapes);
        return dir;
    }

    @Test void aBertModelTrainsAsAMaskedDiffusionLmAndIsSavedAsBertForMaskedLm() throws Exception {
        TrainCommandTest runner = new TrainCommandTest();
        runner.tmp = tmp;
        Path corpus = runner.corpus(), enc = headless(), out = tmp.resolve("run"), cache = tmp.resolve("cache");
        assertThat(((BertFamily) ModelConfig.read(enc.resolve("config.json")).family()).mlmHead()).isFalse();
        TrainCommandTest.Run run = runner.unmask("train", "--corpus", corpus.toString(), "--init-from", enc.toString(),
                "--out", out.toString(), "--max-steps", "3", "--batch", "2", "--seq-len", "16", "--val-windows", "2",
                "--val-grid", "2", "--cache", cache.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("added a masked-LM head");
        ModelConfig saved = ModelConfig.read(out.resolve("config.json"));
        assertThat(saved.family()).isInstanceOf(BertFamily.class);
        assertThat(((BertFamily) saved.family()).mlmHead()).isTrue();
        assertThat(saved.maskTokenId()).isEqualTo(4);
        assertThat(Files.readString(out.resolve("config.json"))).contains("\"BertForMaskedLM\"");
        assertThat(TrainerState.read(out).step()).isEqualTo(3);
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"));
             SafetensorsFile init = SafetensorsFile.open(enc.resolve("model.safetensors"))) {
            assertThat(f.tensors()).containsKey("cls.predictions.transform.dense.weight").containsKey("cls.predictions.bias")
                    .doesNotContainKey("cls.predictions.decoder.weight");   // tied, as Hugging Face saves it
            String name = "bert.encoder.layer.0.attention.self.query.weight";
            assertThat(f.readF32(name)).as("the encoder is fine-tuned").isNotEqualTo(init.readF32(name));
            // the head's transform started as the identity and moved from it
            float[] dense = f.readF32("cls.predictions.transform.dense.weight");
            assertThat(dense[0]).isCloseTo(1f, org.assertj.core.data.Offset.offset(0.05f)).isNotEqualTo(1f);
            assertThat(dense[1]).isCloseTo(0f, org.assertj.core.data.Offset.offset(0.05f));
        }
        double trained = Double.NaN;
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            var n = new ObjectMapper().readTree(line);
            if (n.has("val_bpt")) trained = n.get("val_bpt").asDouble();
        }
        TrainCommandTest.Run eval = runner.unmask("eval", "--model", out.toString(), "--corpus", corpus.toString(), "--seq-len", "16",
                "--max-chunks", "2", "--grid", "2");
        assertThat(eval.code()).as(eval.err()).isZero();
        double evaluated = Double.parseDouble(eval.out().replaceAll("(?s).*bits_per_token (\\S+).*", "$1"));
        assertThat(evaluated).isBetween(0.0, 30.0);   // a finite ELBO (a barely trained random model may score worse than uniform)
        assertThat(trained).isBetween(0.0, 30.0);   // a finite ELBO (a barely trained random model may score worse than uniform)
        TrainCommandTest.Run ar = runner.unmask("train", "--corpus", corpus.toString(), "--init-from", enc.toString(),
                "--out", tmp.resolve("ar").toString(), "--objective", "ar", "--max-steps", "1", "--cache", cache.toString());
        assertThat(ar.code()).isNotZero();
        assertThat(ar.err()).contains("bidirectional encoder");
    }
}
