package org.unmask.cli;

import org.unmask.api.UnmaskModel;
import org.unmask.hub.Hub;
import org.unmask.model.tensor.DType;
import org.unmask.serve.GenerationEngine;
import org.unmask.serve.LladaEngine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one place where commands turn a model directory into a model and a tokenizer. */
public final class ModelDirs {
    private ModelDirs() {}

    /** The block format matrices are quantized to while loading (Main's {@code --quantize}), or null to use them as stored. */
    private static volatile DType quantize;

    /** Sets the block format for every later load (null: as stored). */
    static void quantizeOnLoad(DType type) { quantize = type; }

    /** The model and tokenizer in {@code dir}, a GGUF file, or the Hub model {@code ORG/NAME[@REV]}, through the library API. */
    public static UnmaskModel load(Path dir) {
        Path resolved = resolve(dir);
        requireDir(resolved);
        try {
            return UnmaskModel.load(resolved, quantize);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** {@code dir} itself, or for a Hub model {@code ORG/NAME[@REV]} its snapshot in the Hugging Face cache (pulled when missing). */
    public static Path resolve(Path dir) {
        try {
            return Hub.resolve(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** The serving engine (server and chat) over the model of {@code dir}, batching up to {@code maxBatch} requests. */
    public static GenerationEngine engine(Path dir, int maxBatch) {
        return new LladaEngine(dir.toAbsolutePath().normalize().getFileName().toString(), load(dir), maxBatch);
    }

    private static void requireDir(Path dir) {
        if (Files.isRegularFile(dir) && org.unmask.model.io.Checkpoint.isGguf(dir)) return;   // a GGUF file is a model too
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model directory " + dir + " does not exist");
    }
}
