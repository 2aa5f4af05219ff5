package org.unmask.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.unmask.files.AtomicFile;
import org.unmask.views.LossCurveSvg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl} (one JSON object per logged step) and {@code loss.svg} in the run directory. Each line is
 * appended with its own open/close so the file survives the checkpoint directory being swapped underneath it.
 */
public final class MetricsLog {
    /** File names inside the run directory. */
    public static final String JSONL = "metrics.jsonl", SVG = "loss.svg";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final String title;
    private final List<LossCurveSvg.Point> train = new ArrayList<>();
    private final List<LossCurveSvg.Point> valid = new ArrayList<>();

    /** A log for run directory {@code dir}; {@code title} heads the plot. */
    public MetricsLog(Path dir, String title) {
        this.dir = dir;
        this.title = title;
    }

    /**
     * Keeps the records of steps up to {@code step} (those a resumed run will not repeat) and drops later ones that an
     * interrupted run wrote after its last checkpoint; reloads the curves from them.
     */
    public void truncateAfter(long step) throws IOException {
        Path file = dir.resolve(JSONL);
        train.clear();
        valid.clear();
        if (!Files.exists(file)) return;
        List<String> kept = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                continue;   // a line cut short by a crash; everything after the checkpoint is rewritten anyway
            }
            if (n == null || !n.has("step")) continue;
            if (n.get("step").asLong() > step) continue;
            kept.add(line);
            remember(n);
        }
        AtomicFile.write(file, tmp -> Files.write(tmp, kept, StandardCharsets.UTF_8));
    }

    /** Appends one record and remembers its loss and validation values for the plot. */
    public void append(ObjectNode record) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(JSONL), JSON.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        remember(record);
    }

    private void remember(JsonNode n) {
        double step = n.path("step").asDouble();
        if (n.has("loss")) train.add(new LossCurveSvg.Point(step, n.get("loss").asDouble()));
        if (n.has("val_bpt")) valid.add(new LossCurveSvg.Point(step, n.get("val_bpt").asDouble() * Math.log(2)));
    }

    /** Redraws {@code loss.svg} in {@code target} (the run directory or a checkpoint being written). */
    public void writePlot(Path target) throws IOException {
        LossCurveSvg.write(target.resolve(SVG), title, train, valid);
    }

    /** Copies the metrics file and plot into a checkpoint directory being written. */
    public void copyInto(Path target) throws IOException {
        Path file = dir.resolve(JSONL);
        if (Files.exists(file)) Files.copy(file, target.resolve(JSONL), StandardCopyOption.REPLACE_EXISTING);
        writePlot(target);
    }

    /** Training-loss points so far. */
    public List<LossCurveSvg.Point> trainCurve() { return List.copyOf(train); }
}
