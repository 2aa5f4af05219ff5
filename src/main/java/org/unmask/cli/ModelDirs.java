package org.unmask.cli;

import org.unmask.model.Denoiser;
import org.unmask.text.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The one place where the sampling commands turn a model directory into a model and a tokenizer. The checkpoint and
 * tokenizer loaders live on other branches; the lead connects them here at merge.
 */
public final class ModelDirs {
    private ModelDirs() {}

    /** The model in {@code dir} (config.json + safetensors). */
    public static Denoiser loadModel(Path dir) {
        requireDir(dir);
        throw new IllegalStateException("model loading is not wired yet on this branch: ModelDirs.loadModel(" + dir
                + ") must be connected to the checkpoint loader");
    }

    /** The tokenizer in {@code dir} ({@code tokenizer.json}), empty when the directory has none. */
    public static Optional<Tokenizer> loadTokenizer(Path dir) {
        requireDir(dir);
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) return Optional.empty();
        throw new IllegalStateException("tokenizer loading is not wired yet on this branch: ModelDirs.loadTokenizer("
                + dir + ") must be connected to the tokenizer loader");
    }

    private static void requireDir(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model directory " + dir + " does not exist");
    }
}
