package org.unmask.model.io;

import org.unmask.model.ModelConfig;
import org.unmask.model.ModelFamily;
import org.unmask.model.ModelTensors;
import org.unmask.model.TensorRole;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The first look at a checkpoint: does config.json describe the tensors that are there? Checked before anything
 * proportional to the layer count is built, so an absurd config (a billion layers, a mistyped width) fails at once
 * with the field and the tensor that disagree, instead of after enumerating every tensor the config implies.
 */
final class ConfigVsTensors {
    private ConfigVsTensors() {}

    /** Throws an error naming {@code configFile}, the field and the tensor when the config cannot fit the tensors. */
    static void check(Path configFile, ModelConfig config, Map<String, SafetensorsFile> owner) throws IOException {
        ModelFamily f = config.family();
        long needed = (long) ModelTensors.perLayer(config) * config.nLayers();
        if (needed > owner.size()) {
            // fewer tensors than the layers alone need: the first gap lies within the first size/perLayer + 1 layers
            throw new IOException(configFile + ": field '" + f.fieldName(ModelConfig.Field.N_LAYERS) + "' = " + config.nLayers()
                    + " needs " + needed + " block tensors, but the checkpoint holds " + owner.size()
                    + " tensors in all; missing tensor '" + firstMissingLayerTensor(config, owner) + "'");
        }
        SafetensorsFile file = owner.get(f.embedding());
        if (file == null) return;   // reported with the other missing tensors
        long[] shape = file.tensors().get(f.embedding()).shape();
        if (shape.length != 2) return;   // reported with the other shape mismatches
        String seen = ", but tensor '" + f.embedding() + "' in " + file.file().getFileName() + " has shape ["
                + shape[0] + ", " + shape[1] + "]";
        if (shape[1] != config.dModel()) {
            throw new IOException(configFile + ": field '" + f.fieldName(ModelConfig.Field.D_MODEL) + "' = " + config.dModel() + seen);
        }
        if (shape[0] != config.embeddingSize()) {
            // a padded embedding comes from its own field; an unpadded one is the vocabulary
            ModelConfig.Field field = config.embeddingSize() != config.vocabSize() ? ModelConfig.Field.EMBEDDING_SIZE : ModelConfig.Field.VOCAB_SIZE;
            throw new IOException(configFile + ": field '" + f.fieldName(field) + "' = " + config.embeddingSize() + seen);
        }
    }

    private static String firstMissingLayerTensor(ModelConfig c, Map<String, SafetensorsFile> owner) {
        for (int layer = 0; ; layer++) {
            for (TensorRole role : TensorRole.values()) {
                if (!role.present(c)) continue;
                String name = c.family().layerTensor(layer, role);
                if (!owner.containsKey(name)) return name;
            }
        }
    }
}
