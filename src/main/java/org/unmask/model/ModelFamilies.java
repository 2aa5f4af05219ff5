package org.unmask.model;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;

/** The families the engine runs, and which one a config.json belongs to. */
public final class ModelFamilies {
    private ModelFamilies() {}

    /** Every family, in the order detection tries them. */
    public static final List<ModelFamily> ALL = List.of(LladaFamily.INSTANCE, DreamFamily.INSTANCE, LLaDA2Family.PROTOTYPE,
            LladaMoeFamily.PROTOTYPE, BertFamily.BERT, BertFamily.DISTILBERT, LlamaFamily.INSTANCE, LlamaFamily.QWEN2, LlamaFamily.MISTRAL);

    /**
     * The family named by config.json's {@code architectures}, else by its {@code model_type}; a file with neither
     * is LLaDA's (our own early configs). An unknown architecture is an error that names it.
     */
    public static ModelFamily detect(ConfigJson json) throws IOException {
        List<String> archs = json.architectures();
        String type = json.text("model_type");
        for (String a : archs) {
            for (ModelFamily f : ALL) if (f.architectures().contains(a)) return f;
        }
        if (archs.isEmpty() && type != null) {
            for (ModelFamily f : ALL) if (f.modelTypes().contains(type)) return f;
        }
        if (archs.isEmpty() && type == null) return LladaFamily.INSTANCE;
        String what = archs.isEmpty() ? "model_type \"" + type + "\""
                : "architectures " + archs.stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", ", "[", "]"))
                  + (type == null ? "" : " (model_type \"" + type + "\")");
        throw new IOException(json.file() + ": " + what + " is not a model family Unmask runs; known: " + known());
    }

    /** The known architectures with their model types, for error messages. */
    static String known() {
        return ALL.stream().map(f -> String.join("/", f.architectures()) + " (model_type \"" + String.join("\", \"", f.modelTypes()) + "\")")
                .collect(Collectors.joining(", "));
    }
}
