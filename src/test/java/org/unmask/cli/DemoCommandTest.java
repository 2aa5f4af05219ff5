package org.unmask.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.tensor.DType;
import org.unmask.text.BpeTrainer;
import org.unmask.text.HfTokenizer;
import org.unmask.text.SpecialTokens;
import org.unmask.train.TrainerState;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's main command: animates a shipped model at once; with --train, trains, animates, reuses. */
class DemoCommandTest {

    /** A small shipped-style model: bf16 weights, a logit shift, a BPE tokenizer, no training state. */
    static Path shippedStyleModel(Path dir) throws Exception {
        Files.createDirectories(dir);
        List<String> docs = List.of("And God said, Let there be light: and there was light.",
                "The jury said it did find that many of the city's laws are outmoded.", "In the beginning was the Word.");
        Files.writeString(dir.resolve("tokenizer.json"), new ObjectMapper().writeValueAsString(BpeTrainer.trainJson(docs, 300)));
        HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"));
        ModelConfig c = new ModelConfig(32, 2, 4, 4, 64, tok.vocabSize(), tok.vocabSize(), 128, 10000.0, 1e-5, true,
                tok.tokenId(SpecialTokens.MASK).getAsInt(), tok.tokenId(SpecialTokens.EOS).getAsInt(),
                tok.tokenId(SpecialTokens.EOS).getAsInt(), tok.tokenId(SpecialTokens.BOS).getAsInt()).withLogitShift(true);
        Checkpoint.write(dir, c, Transformer.randomInit(c, 3).tensors(), DType.BF16, 1L << 30);
        return dir;
    }

    private static int frames(Path gif) throws Exception {
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
            r.setInput(in);
            return r.getNumImages(true);
        }
    }

    @Test
    void animatesAShippedModelWithoutTraining(@TempDir Path tmp) throws Exception {
        Path model = shippedStyleModel(tmp.resolve("models/tiny")), gif = tmp.resolve("demo.gif");
        Files.writeString(model.resolve("generation_config.json"), "{\"unmask\": {\"block_length\": 4, \"temperature\": 0.5}}");
        StringWriter err = new StringWriter(), out = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("demo", "--model", model.toString(), "--gif", gif.toString(), "--gen-length", "16")).as(err.toString()).isZero();
        assertThat(frames(gif)).isEqualTo(16);   // one token per step
        // in the model's own blocks of 4 (generation_config.json): the animation names blocks 0 to 3
        assertThat(out.toString()).contains("block 3:").doesNotContain("block 4:");
        assertThat(err.toString()).doesNotContain("training").contains("the model's own sampling settings");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("models", "demo.gif");
        }

        StringWriter err2 = new StringWriter();
        var cl2 = Main.commandLine();
        cl2.setErr(new PrintWriter(err2));
        assertThat(cl2.execute("demo", "--model", tmp.resolve("nothing").toString(), "--gif", gif.toString())).isNotZero();
        assertThat(err2.toString()).contains("no model in").contains("nothing").contains("demo --train");
    }

    @Test
    void theDefaultModelIsTheOneShippedInTheCheckout() {
        String home = System.getProperty("unmask.home");
        try {
            System.setProperty("unmask.home", "/some/checkout");
            assertThat(DemoCommand.shipped()).isEqualTo(Path.of("/some/checkout", DemoCommand.SHIPPED));
            System.clearProperty("unmask.home");
            assertThat(DemoCommand.shipped()).isEqualTo(Path.of(DemoCommand.SHIPPED));
        } finally {
            if (home != null) System.setProperty("unmask.home", home);
        }
    }

    @Test
    void trainsThenReusesAndWritesOneGifFramePerStep(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("demo"), gif = tmp.resolve("demo.gif");
        String[] args = {"demo", "--train", "--dir", dir.toString(), "--gif", gif.toString(), "--time", "4s", "--gen-length", "16",
                "--cache", tmp.resolve("cache").toString()};
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute(args)).as(err.toString()).isZero();
        assertThat(dir.resolve("model.safetensors")).exists();
        assertThat(dir.resolve("tokenizer.json")).exists();
        // one frame per step: the 16 tokens and the masks that fill the last block of 4 (decoded, not shown)
        var steps = java.util.regex.Pattern.compile("(\\d+) steps,").matcher(err.toString());
        assertThat(steps.find()).as(err.toString()).isTrue();
        int n = Integer.parseInt(steps.group(1));
        assertThat(n).isBetween(16, 16 + DemoCommand.BLOCK_SIZE - 1);
        assertThat(frames(gif)).isEqualTo(n);
        // the recipe: an autoregressive stage beside the model, then block diffusion that keeps next-token prediction
        assertThat(TrainerState.read(tmp.resolve("demo-ar")).objective()).isEqualTo("ar");
        assertThat(TrainerState.read(dir).objective()).isEqualTo("block");
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        assertThat(config.blockSize()).isEqualTo(DemoCommand.BLOCK_SIZE);
        assertThat(config.logitShift()).isTrue();
        // the shape chosen for five minutes of 2 cores: d 96, 3 layers of 3 heads, SwiGLU 256 (docs/training.md)
        assertThat(List.of(config.dModel(), config.nLayers(), config.nHeads(), config.mlpHiddenSize()))
                .containsExactly(96, 3, 3, 256);
        long trained = Files.getLastModifiedTime(dir.resolve("model.safetensors")).toMillis();
        StringWriter err2 = new StringWriter();
        var cl2 = Main.commandLine();
        cl2.setErr(new PrintWriter(err2));
        assertThat(cl2.execute(args)).isZero();
        assertThat(err2.toString()).contains("reusing");
        assertThat(Files.getLastModifiedTime(dir.resolve("model.safetensors")).toMillis()).isEqualTo(trained);
    }
}
