package org.unmask.serve;

import java.io.IOException;
import java.nio.file.Path;

/** Opens a model directory (config.json, weights, tokenizer) as a {@link GenerationEngine}. */
@FunctionalInterface
public interface EngineLoader {
    GenerationEngine load(Path modelDir) throws IOException;
}
