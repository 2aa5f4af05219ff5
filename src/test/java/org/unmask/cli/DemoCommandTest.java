package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's main command, end to end with a few seconds of training: trains, animates, writes the GIF, reuses. */
class DemoCommandTest {

    @Test
    void trainsThenReusesAndWritesOneGifFramePerStep(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("demo"), gif = tmp.resolve("demo.gif");
        String[] args = {"demo", "--dir", dir.toString(), "--gif", gif.toString(), "--time", "3s", "--gen-length", "16",
                "--block-length", "8", "--cache", tmp.resolve("cache").toString()};
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute(args)).as(err.toString()).isZero();
        assertThat(dir.resolve("model.safetensors")).exists();
        assertThat(dir.resolve("tokenizer.json")).exists();
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
            r.setInput(in);
            assertThat(r.getNumImages(true)).isEqualTo(16);
        }
        long trained = Files.getLastModifiedTime(dir.resolve("model.safetensors")).toMillis();
        StringWriter err2 = new StringWriter();
        var cl2 = Main.commandLine();
        cl2.setErr(new PrintWriter(err2));
        assertThat(cl2.execute(args)).isZero();
        assertThat(err2.toString()).contains("reusing");
        assertThat(Files.getLastModifiedTime(dir.resolve("model.safetensors")).toMillis()).isEqualTo(trained);
    }
}
