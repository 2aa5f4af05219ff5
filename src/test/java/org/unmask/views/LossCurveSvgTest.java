package org.unmask.views;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LossCurveSvgTest {
    @TempDir Path tmp;

    @Test void drawsWellFormedSvgWithBothCurves() throws Exception {
        List<LossCurveSvg.Point> train = new ArrayList<>();
        for (int i = 0; i < 100; i++) train.add(new LossCurveSvg.Point(i, 5.0 / (1 + i * 0.05)));
        List<LossCurveSvg.Point> val = List.of(new LossCurveSvg.Point(50, 2.0), new LossCurveSvg.Point(99, 1.5));
        Path f = tmp.resolve("loss.svg");
        LossCurveSvg.write(f, "tiny <diffusion>", train, val);
        var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(f.toFile());
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(doc.getElementsByTagName("polyline").getLength()).isEqualTo(3);
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(2);
        String first = doc.getElementsByTagName("polyline").item(0).getAttributes().getNamedItem("points").getNodeValue();
        assertThat(first.trim().split(" ")).hasSize(100);
    }

    @Test void placesLabelledSeriesOnSharedAxes() throws Exception {
        // x from 0 to 10 spans pixels 70..700; y from 0 to 10 gets 5% headroom (0..10.5) over pixels 370..40
        var a = new LossCurveSvg.Series("AR", "#111111", 2, List.of(new LossCurveSvg.Point(0, 0), new LossCurveSvg.Point(10, 10)), true);
        var b = new LossCurveSvg.Series("diffusion", "#222222", 2, List.of(new LossCurveSvg.Point(5, 2)), false);
        Path f = tmp.resolve("study.svg");
        LossCurveSvg.write(f, "study", "epochs", "bits per token", List.of(a, b));
        var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(f.toFile());
        assertThat(doc.getElementsByTagName("polyline").getLength()).isEqualTo(2);
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(2);   // markers of the first series only
        String points = doc.getElementsByTagName("polyline").item(0).getAttributes().getNamedItem("points").getNodeValue().trim();
        assertThat(points).isEqualTo(String.format(java.util.Locale.ROOT, "70.0,370.0 700.0,%.1f", 370 - 10 / 10.5 * 330));
        String second = doc.getElementsByTagName("polyline").item(1).getAttributes().getNamedItem("points").getNodeValue().trim();
        assertThat(second).isEqualTo(String.format(java.util.Locale.ROOT, "385.0,%.1f", 370 - 2 / 10.5 * 330));
        String text = java.nio.file.Files.readString(f);
        assertThat(text).contains(">epochs</text>", ">bits per token</text>", ">AR</text>", ">diffusion</text>");
    }
}
