package org.unmask.model.io;

import org.unmask.model.LladaTensors;
import org.unmask.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The first look at a checkpoint: does config.json describe the tensors that are there? Checked before anything
 * proportional to {@code n_layers} is built, so an absurd config (a billion layers, a mistyped width) fails at once
 * with the field and the tensor that disagree, instead of after enumerating every tensor the config implies.
 */
final class ConfigVsTensors {
    private ConfigVsTensors() {}

    /** Throws an error naming {@code configFile}, the field and the tensor when the config cannot fit the tensors. */
    static void check(Path configFile, ModelConfig config, Map<String, SafetensorsFile> owner) throws IOException {
        long needed = (long) LladaTensors.BLOCK_PARTS.size() * config.nLayers();
        if (needed > owner.size()) {
            // fewer tensors than the blocks alone need: the first gap lies within the first size/9 + 1 blocks
            throw new IOException(configFile + ": field 'n_layers' = " + config.nLayers() + " needs " + needed
                    + " block tensors, but the checkpoint holds " + owner.size() + " tensors in all; missing tensor '"
                    + firstMissingBlockTensor(owner) + "'");
        }
        SafetensorsFile f = owner.get(LladaTensors.EMBEDDING);
        if (f == null) return;   // reported with the other missing tensors
        long[] shape = f.tensors().get(LladaTensors.EMBEDDING).shape();
        if (shape.length != 2) return;   // reported with the other shape mismatches
        String seen = ", but tensor '" + LladaTensors.EMBEDDING + "' in " + f.file().getFileName() + " has shape ["
                + shape[0] + ", " + shape[1] + "]";
        if (shape[1] != config.dModel()) {
            throw new IOException(configFile + ": field 'd_model' = " + config.dModel() + seen);
        }
        if (shape[0] != config.embeddingSize()) {
            String field = config.embeddingSizeOrNull() != null ? "embedding_size" : "vocab_size";
            throw new IOException(configFile + ": field '" + field + "' = " + config.embeddingSize() + seen);
        }
    }

    private static String firstMissingBlockTensor(Map<String, SafetensorsFile> owner) {
        for (int layer = 0; ; layer++) {
            for (String part : LladaTensors.BLOCK_PARTS) {
                String name = LladaTensors.block(layer, part);
                if (!owner.containsKey(name)) return name;
            }
        }
    }
}
