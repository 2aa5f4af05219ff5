package org.unmask.cli;

import org.unmask.api.UnmaskModel;
import org.unmask.serve.GenerationEngine;
import org.unmask.serve.LladaEngine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one place where commands turn a model directory into a model and a tokenizer. */
public final class ModelDirs {
    private ModelDirs() {}

    /** The model and tokenizer in {@code dir} through the library API. */
    public static UnmaskModel load(Path dir) {
        requireDir(dir);
        try {
            return UnmaskModel.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** The serving engine (server and chat) over the model of {@code dir}, batching up to {@code maxBatch} requests. */
    public static GenerationEngine engine(Path dir, int maxBatch) {
        return new LladaEngine(dir.toAbsolutePath().normalize().getFileName().toString(), load(dir), maxBatch);
    }

    private static void requireDir(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model directory " + dir + " does not exist");
    }
}
