package org.unmask.hub;

import java.io.IOException;
import java.io.File;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Models by their Hub name. {@link #resolve(String)} is what every {@code --model} goes through: an existing path is
 * itself, {@code ORG/NAME[@REV]} is the cached snapshot of that revision (pulled first when it is not complete and
 * the environment is not offline), and {@code ORG/NAME/PATH.gguf[@REV]} or {@code ORG/NAME:QUANT[@REV]} one GGUF
 * file of it (pulled alone).
 */
public final class Hub {
    private final HubSettings settings;
    private final TransferOptions options;
    private final Consumer<String> notes;
    private final DownloadProgress progress;

    /** A hub with these settings; {@code notes} gets one line per pull, {@code progress} the bytes as they arrive. */
    public Hub(HubSettings settings, TransferOptions options, Consumer<String> notes, DownloadProgress progress) {
        this.settings = settings;
        this.options = options;
        this.notes = notes;
        this.progress = progress;
    }

    /** The environment's hub, reporting on stderr. */
    public static Hub fromEnvironment() {
        return new Hub(HubSettings.fromEnvironment(), TransferOptions.DEFAULT, System.err::println,
                DownloadProgress.forConsole(System.err::println));
    }

    /** The settings in use. */
    public HubSettings settings() { return settings; }

    /**
     * A model directory or GGUF file, or a Hub reference as one (see the class comment); other strings are returned
     * as paths.
     */
    public static Path resolve(String spec) throws IOException {
        if (existing(spec)) return Path.of(spec);
        Optional<HubQuant> quant = HubQuant.parse(spec);
        Optional<HubFile> file = HubFile.parse(spec);
        Optional<RepoRef> ref = RepoRef.parse(spec);
        if (quant.isEmpty() && file.isEmpty() && ref.isEmpty()) return Path.of(spec);
        String what = ref.isPresent() ? "directory" : "file";
        try {
            Hub hub = fromEnvironment();
            return quant.isPresent() ? hub.file(quant.get()) : file.isPresent() ? hub.file(file.get()) : hub.model(ref.get());
        } catch (HubException e) {
            // a typo in a local path looks like ORG/NAME too; say why the Hub was asked
            throw new HubException("'" + spec + "' is not a " + what + ", so it was taken as a Hub " + (ref.isPresent() ? "model" : "file")
                    + ": " + e.getMessage());
        }
    }

    /** {@link #resolve(String)} for a path given on a command line or to the API. */
    public static Path resolve(Path spec) throws IOException {
        String s = spec.toString().replace(File.separatorChar, '/');
        boolean hub = !existing(s) && (HubQuant.parse(s).isPresent() || HubFile.parse(s).isPresent() || RepoRef.parse(s).isPresent());
        return hub ? resolve(s) : spec;
    }

    /** The Hub reference {@code spec} stands for: one of the form ORG/NAME[@REV] that is not an existing path. */
    public static Optional<RepoRef> reference(String spec) {
        return existing(spec) ? Optional.empty() : RepoRef.parse(spec);
    }

    /** Whether {@code spec} is a path that exists (a local model wins over a Hub name of the same spelling). */
    private static boolean existing(String spec) {
        try {
            return Files.exists(Path.of(spec));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /** Downloads what {@code filter} selects of {@code ref} into the cache (offline: finds the cached snapshot). */
    public PullResult pull(RepoRef ref, RepoFilter filter) throws IOException {
        PullResult r;
        try {
            r = new Pull(settings, options, progress).run(ref, filter);
        } catch (FileSystemException e) {
            // the message of these is a bare path; say what it means for the user
            String why = e.getReason() != null ? e.getReason() : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof NoSuchFileException ? "no such file or folder" : e.getClass().getSimpleName();
            throw new HubException(ref + ": cannot write the Hugging Face cache at " + e.getFile() + " (" + why
                    + "); set HF_HOME or HF_HUB_CACHE to a writable folder");
        }
        notes.accept(r.summary());
        return r;
    }

    /** The cached snapshot of {@code ref}'s revision, when there is one (complete or not). */
    public Optional<Path> cached(RepoRef ref) throws IOException {
        return new HubCache(settings.cache(), ref).snapshotOf(ref.revision());
    }

    /**
     * The directory of a model: the cached snapshot when it has the config and all weights, otherwise what a pull
     * of the files Unmask reads brings (offline: an error naming what is missing).
     */
    public Path model(RepoRef ref) throws IOException {
        Optional<Path> cached = cached(ref);
        if (cached.isPresent() && ModelFiles.missing(cached.get()).isEmpty()) return cached.get();
        if (settings.offline()) {
            if (cached.isEmpty()) throw notCached(ref, settings);
            throw new HubException(ref + ": the cached snapshot " + cached.get() + " has no " + ModelFiles.missing(cached.get()).get()
                    + ", and HF_HUB_OFFLINE is set so it cannot be downloaded; unset HF_HUB_OFFLINE and run `" + pullCommand(ref) + "`");
        }
        return pull(ref, RepoFilter.MODEL).snapshot();
    }

    /**
     * A GGUF file of a repository: in the cached snapshot when it is there, otherwise what a pull of it (and of the
     * tokenizer files beside it) brings; nothing else of the repository is downloaded.
     */
    public Path file(HubFile ref) throws IOException {
        Optional<Path> cached = cached(ref.repo());
        if (cached.isPresent() && Files.isRegularFile(cached.get().resolve(ref.path()))) return cached.get().resolve(ref.path());
        if (settings.offline()) {
            if (cached.isEmpty()) throw notCached(ref.repo(), settings);
            throw new HubException(ref + ": the cached snapshot " + cached.get() + " has no " + ref.path()
                    + ", and HF_HUB_OFFLINE is set so it cannot be downloaded; unset HF_HUB_OFFLINE");
        }
        Path f = pull(ref.repo(), ref.filter()).snapshot().resolve(ref.path());
        if (!Files.isRegularFile(f)) throw new HubException(ref.repo() + " has no file " + ref.path());
        return f;
    }

    /**
     * The GGUF file a quantization tag names ({@link HubQuant}): chosen from the repository's file list (offline: from
     * the cached snapshot's files), then pulled as {@link #file(HubFile)} pulls it.
     */
    public Path file(HubQuant ref) throws IOException {
        List<String> paths;
        if (settings.offline()) {
            Path snapshot = cached(ref.repo()).orElseThrow(() -> notCached(ref.repo(), settings));
            try (var walk = Files.walk(snapshot)) {
                paths = walk.filter(Files::isRegularFile).map(p -> snapshot.relativize(p).toString().replace(File.separatorChar, '/')).toList();
            }
        } else {
            paths = new Pull(settings, options, progress).list(ref.repo()).stream().map(RepoFile::path).toList();
        }
        return file(ref.choose(paths));
    }

    /** The error for a revision that offline mode cannot find in the cache. */
    static HubException notCached(RepoRef ref, HubSettings settings) {
        return new HubException(ref + " is not in the Hugging Face cache (" + settings.cache() + ") and HF_HUB_OFFLINE is set, "
                + "so it cannot be downloaded; unset HF_HUB_OFFLINE and run `" + pullCommand(ref) + "` first");
    }

    private static String pullCommand(RepoRef ref) {
        return "unmask pull " + ref.repoId() + (ref.revision().equals(RepoRef.DEFAULT_REVISION) ? "" : "@" + ref.revision());
    }
}
