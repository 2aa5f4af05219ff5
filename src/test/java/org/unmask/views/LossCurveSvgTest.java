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
}
