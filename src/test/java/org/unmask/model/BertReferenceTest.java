package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.unmask.cli.Main;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.SafetensorsFile;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/**
 * Tiny random BertForMaskedLM (tied head, the position-id buffer in the file) and DistilBertForMaskedLM (untied)
 * checkpoints against the MLM logits of Hugging Face's forward, computed by src/test/python/make_bert_fixtures.py in
 * plain torch from modeling_bert.py's and modeling_distilbert.py's equations: one sequence, and a batch whose second
 * row has padding keys.
 */
class BertReferenceTest {

    static final Path FIXTURES = Path.of("src/test/resources/bert");
    static final float TOL = 2e-4f;

    static int[] ints(SafetensorsFile f, String name) {
        return f.bytes(name).toArray(ValueLayout.JAVA_INT_UNALIGNED);
    }

    static void assertClose(float[] got, float[] want, String what) {
        assertThat(got).as(what).hasSize(want.length);
        for (int i = 0; i < want.length; i++)
            assertThat(got[i]).as("%s [%d]", what, i).isCloseTo(want[i], offset(TOL + 1e-4f * Math.abs(want[i])));
    }

    @ParameterizedTest @ValueSource(strings = {"bert", "distilbert"})
    void theLogitsAreHuggingFacesForInferenceAndTrainableModels(String name) throws Exception {
        Path dir = FIXTURES.resolve(name);
        try (Checkpoint ckpt = Checkpoint.open(dir); SafetensorsFile ex = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            ModelConfig c = ckpt.config();
            assertThat(c.family()).isInstanceOf(BertFamily.class);
            assertThat(c.family().name()).isEqualTo(name);
            assertThat(c.maskTokenId()).as("[MASK] of the tokenizer beside config.json").isEqualTo(4);
            assertThat(c.eosTokenId()).as("[SEP]").isEqualTo(3);
            int[] ids = ints(ex, "ids");
            int[] batch = ints(ex, "batch_ids"), mask = ints(ex, "batch_mask");
            boolean[] attend = new boolean[mask.length];
            for (int i = 0; i < mask.length; i++) attend[i] = mask[i] != 0;
            for (boolean trainable : new boolean[]{false, true}) {
                TrainableModel m = c.family().engine(c, ckpt.tensors(), trainable);
                assertClose(m.logits(ids, 1, ids.length, null, null), ex.readF32("logits"), name + " trainable=" + trainable);
                assertClose(m.logits(batch, 2, batch.length / 2, attend, null), ex.readF32("batch_logits"),
                        name + " padded batch, trainable=" + trainable);
            }
        }
    }

    @ParameterizedTest @ValueSource(strings = {"bert", "distilbert"})
    void theLogitsCommandWritesThem(String name, @TempDir Path tmp) throws Exception {
        Path dir = FIXTURES.resolve(name), out = tmp.resolve("logits.safetensors");
        try (SafetensorsFile ex = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            int[] ids = ints(ex, "ids");
            StringWriter err = new StringWriter();
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            String text = Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
            assertThat(cl.execute("logits", "--model", dir.toString(), "--ids", text, "--out", out.toString())).as(err.toString()).isZero();
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                assertThat(f.tensors().get("logits").shape()).containsExactly(ids.length, 260);
                assertClose(f.readF32("logits"), ex.readF32("logits"), name);
            }
        }
    }

    @Test void theCountOfParametersIsTheSumOfTheTensors() throws Exception {
        try (Checkpoint ckpt = Checkpoint.open(FIXTURES.resolve("bert"))) {
            long n = ckpt.tensors().values().stream().mapToLong(w -> w.size()).sum();
            assertThat(ckpt.config().parameterCount()).isEqualTo(n);
        }
    }

    /** A copy of the bert fixture with config.json edited by {@code edit}, and without the tokenizer when asked. */
    static Path copy(Path tmp, boolean tokenizer, java.util.function.UnaryOperator<String> edit) throws IOException {
        Path src = FIXTURES.resolve("bert"), dir = tmp.resolve("bert");
        Files.createDirectories(dir);
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        if (tokenizer) Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("config.json"), edit.apply(Files.readString(src.resolve("config.json"))));
        return dir;
    }

    @Test void badConfigsNameTheFieldOrTheTensor(@TempDir Path tmp) throws Exception {
        Path noTok = copy(tmp.resolve("a"), false, s -> s);
        assertThatThrownBy(() -> Checkpoint.open(noTok)).hasMessageContaining("config.json")
                .hasMessageContaining("'mask_token_id'").hasMessageContaining("tokenizer.json");
        Path act = copy(tmp.resolve("b"), true, s -> s.replace("\"hidden_act\": \"gelu\"", "\"hidden_act\": \"relu\""));
        assertThatThrownBy(() -> Checkpoint.open(act)).hasMessageContaining("'hidden_act'").hasMessageContaining("relu");
        Path rel = copy(tmp.resolve("c"), true, s -> s.replace("\"absolute\"", "\"relative_key\""));
        assertThatThrownBy(() -> Checkpoint.open(rel)).hasMessageContaining("'position_embedding_type'");
        // untied: the decoder weight the file does not have is named
        Path untied = copy(tmp.resolve("d"), true, s -> s.replace("\"torch_dtype\"", "\"tie_word_embeddings\": false, \"torch_dtype\""));
        assertThatThrownBy(() -> Checkpoint.open(untied)).hasMessageContaining("cls.predictions.decoder.weight");
        Path wide = copy(tmp.resolve("e"), true, s -> s.replace("\"hidden_size\": 32", "\"hidden_size\": 48"));
        assertThatThrownBy(() -> Checkpoint.open(wide)).hasMessageContaining("'hidden_size'");
    }

    @Test void aSequenceLongerThanThePositionsIsRejected() throws Exception {
        try (Checkpoint ckpt = Checkpoint.open(FIXTURES.resolve("bert"))) {
            TrainableModel m = ckpt.config().family().engine(ckpt.config(), ckpt.tensors(), false);
            assertThatThrownBy(() -> m.logits(new int[25], 1, 25, null, null)).hasMessageContaining("max_position_embeddings");
        }
    }
}
