package org.unmask;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The packages follow the data's path and depend only downwards: files and compute at the bottom, then text, data,
 * the model (tensor storage, kernels, the mixture-of-experts blocks, the transformer, checkpoint files), diffusion, the loss plot and other views,
 * training, the library API ({@code org.unmask.api}), the studies built on them, serving, and the command line on top. {@code org.unmask.hub} (downloads
 * from the Hugging Face Hub) is I/O like files and data: it may use the bottom layers and is used from api up.
 */
@AnalyzeClasses(packages = "org.unmask", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String[] BELOW_DIFFUSION =
            {"Files", "Compute", "Text", "Data", "Tensor", "Kernels", "Moe", "Model", "ModelIo"};

    private static String[] plus(String[] base, String... more) {
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("org.unmask.(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule packagesDependOnlyDownwards = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer("Files").definedBy("org.unmask.files..")
            .layer("Compute").definedBy("org.unmask.compute..")
            .layer("Text").definedBy("org.unmask.text..")
            .layer("Data").definedBy("org.unmask.data..")
            .layer("Hub").definedBy("org.unmask.hub..")
            .layer("Tensor").definedBy("org.unmask.model.tensor..")
            .layer("Kernels").definedBy("org.unmask.model.kernels..")
            .layer("Moe").definedBy("org.unmask.model.moe..")
            .layer("Model").definedBy("org.unmask.model")
            .layer("ModelIo").definedBy("org.unmask.model.io..")
            .layer("Diffusion").definedBy("org.unmask.diffusion..")
            .layer("Views").definedBy("org.unmask.views..")
            .layer("Train").definedBy("org.unmask.train..")
            .optionalLayer("Api").definedBy("org.unmask.api..")
            .layer("Study").definedBy("org.unmask.study..")
            .layer("Serve").definedBy("org.unmask.serve..")
            .layer("Cli").definedBy("org.unmask.cli..")
            .whereLayer("Files").mayNotAccessAnyLayer()
            .whereLayer("Compute").mayNotAccessAnyLayer()
            .whereLayer("Text").mayOnlyAccessLayers("Files")
            .whereLayer("Data").mayOnlyAccessLayers("Files", "Text")
            // model directories by their Hub name; nothing below api needs the network
            .whereLayer("Hub").mayOnlyAccessLayers("Files", "Compute", "Text", "Data")
            .whereLayer("Tensor").mayOnlyAccessLayers("Files", "Compute", "Text", "Data")
            .whereLayer("Kernels").mayOnlyAccessLayers("Files", "Compute", "Text", "Data", "Tensor")
            // the mixture-of-experts blocks: routers and the expert layer, built on storage and kernels only
            .whereLayer("Moe").mayOnlyAccessLayers("Compute", "Tensor", "Kernels")
            .whereLayer("Model").mayOnlyAccessLayers("Files", "Compute", "Text", "Data", "Tensor", "Kernels", "Moe")
            .whereLayer("ModelIo").mayOnlyAccessLayers("Files", "Compute", "Text", "Data", "Tensor", "Kernels", "Moe", "Model")
            .whereLayer("Diffusion").mayOnlyAccessLayers(BELOW_DIFFUSION)
            .whereLayer("Views").mayOnlyAccessLayers(plus(BELOW_DIFFUSION, "Diffusion"))
            // training writes its loss plot with views; it neither serves nor is served
            .whereLayer("Train").mayOnlyAccessLayers(plus(BELOW_DIFFUSION, "Diffusion", "Views"))
            // the room for a programmatic API that serve and cli share
            .whereLayer("Api").mayOnlyAccessLayers(plus(BELOW_DIFFUSION, "Diffusion", "Views", "Train", "Hub"))
            // the studies train arms, sample through the library API and plot; only the command line runs them
            .whereLayer("Study").mayOnlyAccessLayers(plus(BELOW_DIFFUSION, "Diffusion", "Views", "Train", "Api"))
            .whereLayer("Serve").mayOnlyAccessLayers(plus(BELOW_DIFFUSION, "Diffusion", "Views", "Api", "Hub"))
            .whereLayer("Cli").mayNotBeAccessedByAnyLayer();
}
