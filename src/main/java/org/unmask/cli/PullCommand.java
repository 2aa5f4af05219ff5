package org.unmask.cli;

import org.unmask.hub.DownloadProgress;
import org.unmask.hub.Hub;
import org.unmask.hub.HubFile;
import org.unmask.hub.HubQuant;
import org.unmask.hub.HubSettings;
import org.unmask.hub.RepoFilter;
import org.unmask.hub.RepoRef;
import org.unmask.hub.TransferOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code unmask pull}: a model repository from the Hugging Face Hub into the cache the Python tools share. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download a model repository from the Hugging Face Hub into the Hugging Face cache and print its snapshot directory.",
                "Files the cache already has (from earlier pulls or the Python tools) are not downloaded again; an interrupted"
                        + " download resumes. Every file is checked against the Hub's sha256 (LFS) or git sha1.",
                "Environment: HF_TOKEN (gated or private repositories), HF_ENDPOINT (a mirror), HF_HOME / HF_HUB_CACHE (the cache),"
                        + " HF_HUB_OFFLINE=1 (the cache only)."})
public final class PullCommand implements Callable<Integer> {

    @Parameters(paramLabel = "ORG/NAME[@REVISION]", description = "The repository, and a branch, tag or commit (default: main);"
            + " or ORG/NAME/PATH.gguf[@REVISION] or ORG/NAME:QUANT[@REVISION] (the GGUF file named by its quantization, as"
            + " llama.cpp's -hf takes it), one GGUF file of it (with the tokenizer.json and tokenizer_config.json beside it,"
            + " when there are), whose path is then printed.")
    String repo;

    @Option(names = "--include", paramLabel = "GLOB", description = "Only files matching one of these globs (repeatable; * also crosses /).")
    List<String> include = new ArrayList<>();

    @Option(names = "--exclude", paramLabel = "GLOB", description = "Not the files matching one of these globs (repeatable).")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--workers", defaultValue = "8", description = "Files downloaded at the same time (default: ${DEFAULT-VALUE}).")
    int workers;

    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        RepoRef ref;
        RepoFilter filter;
        TransferOptions options;
        java.util.Optional<HubQuant> quant = HubQuant.parse(repo);
        java.util.Optional<HubFile> file = HubFile.parse(repo);
        try {
            if ((file.isPresent() || quant.isPresent()) && (!include.isEmpty() || !exclude.isEmpty()))
                throw new IllegalArgumentException("--include and --exclude choose files of a repository, not of one file (" + repo + ")");
            ref = quant.isPresent() ? quant.get().repo() : file.isPresent() ? file.get().repo() : RepoRef.of(repo);
            filter = new RepoFilter(include, exclude);
            options = TransferOptions.DEFAULT.withWorkers(workers);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        HubSettings settings = HubSettings.fromEnvironment();
        Hub hub = new Hub(settings, options, line -> {
            err.println(line);
            err.flush();
        }, DownloadProgress.forConsole(line -> {
            err.println(line);
            err.flush();
        }));
        // the path alone on stdout, for scripts: `unmask generate --model "$(unmask pull ORG/NAME)"`
        out.println(quant.isPresent() ? hub.file(quant.get()) : file.isPresent() ? hub.file(file.get()) : hub.pull(ref, filter).snapshot());
        out.flush();
        return 0;
    }
}
