package org.unmask.views;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.diffusion.FakeDenoiser;
import org.unmask.diffusion.SampleResult;
import org.unmask.diffusion.Sampler;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.StepListener;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ViewsTest {
    final int[] prompt = {1, 7, 9, 12};
    final SamplerConfig cfg = SamplerConfig.builder(16, 8, 8).specialIds(2, 0, 5).build();
    final TokenText text = new TokenText(Optional.empty(), 2);

    @Test
    void traceRecordsSettingsStepsAndFinalIds(@TempDir Path dir) throws Exception {
        TraceRecorder trace = new TraceRecorder();
        SampleResult r = new Sampler(new FakeDenoiser(16, 1), cfg).generate(List.of(prompt), trace);
        Path file = dir.resolve("t.json");
        trace.write(file, cfg, r);
        JsonNode doc = new ObjectMapper().readTree(file.toFile());
        assertThat(doc.at("/settings/steps").asInt()).isEqualTo(8);
        assertThat(doc.at("/settings/remasking").asText()).isEqualTo("low_confidence");
        assertThat(doc.at("/forward_passes").asInt()).isEqualTo(8);
        assertThat(doc.get("steps")).hasSize(8);
        int[] rebuilt = new int[20];
        System.arraycopy(prompt, 0, rebuilt, 0, 4);
        java.util.Arrays.fill(rebuilt, 4, 20, 2);
        int committed = 0;
        for (JsonNode s : doc.get("steps")) {
            JsonNode row = s.get("rows").get(0);
            assertThat(row.get("positions")).hasSize(2);
            assertThat(row.get("confidences")).hasSize(2);
            for (int i = 0; i < 2; i++) {
                double c = row.get("confidences").get(i).asDouble();
                assertThat(c).isBetween(0.0, 1.0);
                rebuilt[row.get("positions").get(i).asInt()] = row.get("tokens").get(i).asInt();
                committed++;
            }
        }
        assertThat(committed).isEqualTo(16);
        int[] fin = new int[20];
        for (int i = 0; i < 20; i++) fin[i] = doc.at("/final_ids/0/" + i).asInt();
        assertThat(fin).containsExactly(r.sequences()[0]).containsExactly(rebuilt);
    }

    @Test
    void gifHasOneFramePerStepAndReadsBack(@TempDir Path dir) throws Exception {
        GifRecorder gif = new GifRecorder(text, 0, prompt.length, 120);
        new Sampler(new FakeDenoiser(16, 2), cfg).generate(List.of(prompt), gif);
        Path file = dir.resolve("a.gif");
        gif.write(file);
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = ImageIO.getImageReaders(in).next();
            reader.setInput(in);
            assertThat(reader.getNumImages(true)).isEqualTo(8);
            var img = reader.read(0);
            assertThat(img.getWidth()).isEqualTo(720);
            var meta = reader.getImageMetadata(0);
            var root = meta.getAsTree(meta.getNativeMetadataFormatName());
            String xml = dump(root);
            assertThat(xml).contains("delayTime=12").contains("NETSCAPE");
        }
    }

    private static String dump(org.w3c.dom.Node n) {
        StringBuilder b = new StringBuilder(n.getNodeName());
        var attrs = n.getAttributes();
        if (attrs != null) for (int i = 0; i < attrs.getLength(); i++) b.append(' ').append(attrs.item(i).getNodeName()).append('=').append(attrs.item(i).getNodeValue());
        for (var c = n.getFirstChild(); c != null; c = c.getNextSibling()) b.append('\n').append(dump(c));
        return b.toString();
    }

    @Test
    void plainTerminalViewPrintsOneLinePerStepAndAnsiViewDrawsMasks() {
        ByteArrayOutputStream plain = new ByteArrayOutputStream(), ansi = new ByteArrayOutputStream();
        StepListener both = StepListener.all(
                new TerminalView(new java.io.PrintWriter(new java.io.OutputStreamWriter(plain, StandardCharsets.UTF_8), true), text, false, 0, 8),
                new TerminalView(new java.io.PrintWriter(new java.io.OutputStreamWriter(ansi, StandardCharsets.UTF_8), true), text, true, 0, 8));
        new Sampler(new FakeDenoiser(16, 3), cfg).generate(List.of(prompt), both);
        String[] lines = plain.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(8);
        assertThat(lines[0]).startsWith("step 1/8  block 0:");
        assertThat(lines[7]).startsWith("step 8/8  block 1:");
        String a = ansi.toString(StandardCharsets.UTF_8);
        assertThat(a).contains("░").contains("\033[30;43m").contains("step 8/8");
        assertThat(a).doesNotContain("⟨2⟩");   // masks are drawn as blocks, never as the mask id
    }
}
