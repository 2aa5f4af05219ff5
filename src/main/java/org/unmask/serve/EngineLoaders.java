package org.unmask.serve;

import org.unmask.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The loader {@code unmask serve} and {@code unmask chat} use for a model directory. It checks the directory and
 * its config.json; building the engine over the checkpoint, tokenizer and sampler is wired where those packages
 * meet (the serve branch alone has none of them, so it reports that instead of guessing).
 */
public final class EngineLoaders {

    private EngineLoaders() {}

    /** The standard loader. */
    public static EngineLoader standard() {
        return dir -> {
            if (!Files.isDirectory(dir)) throw new IOException("model directory not found: " + dir);
            Path config = dir.resolve("config.json");
            if (!Files.isRegularFile(config)) throw new IOException(dir + ": no config.json (not a model directory)");
            ModelConfig.read(config);
            throw new IOException("this build has no LLaDA sampler adapter to serve " + dir
                    + " (org.unmask.serve over org.unmask.diffusion is wired when the branches are merged)");
        };
    }
}
