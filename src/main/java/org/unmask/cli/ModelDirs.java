package org.unmask.cli;

import org.unmask.api.UnmaskModel;
import org.unmask.model.LladaModel;
import org.unmask.model.io.Checkpoint;
import org.unmask.text.HfTokenizer;
import org.unmask.text.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The one place where commands turn a model directory into a model and a tokenizer. */
public final class ModelDirs {
    private ModelDirs() {}

    /**
     * The model in {@code dir} (config.json + safetensors), for inference. The weights stay memory-mapped (bf16 and
     * f16 are used in place) for the life of the process, which is what a command or a server wants.
     */
    public static LladaModel loadModel(Path dir) {
        requireDir(dir);
        try {
            Checkpoint ckpt = Checkpoint.open(dir);
            return LladaModel.fromWeights(ckpt.config(), ckpt.tensors(), false);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** The model and tokenizer in {@code dir} through the library API. */
    public static UnmaskModel load(Path dir) {
        requireDir(dir);
        try {
            return UnmaskModel.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** The tokenizer in {@code dir} ({@code tokenizer.json}), empty when the directory has none. */
    public static Optional<Tokenizer> loadTokenizer(Path dir) {
        requireDir(dir);
        Path file = dir.resolve(HfTokenizer.FILE);
        if (!Files.isRegularFile(file)) return Optional.empty();
        try {
            return Optional.of(HfTokenizer.load(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private static void requireDir(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model directory " + dir + " does not exist");
    }
}
