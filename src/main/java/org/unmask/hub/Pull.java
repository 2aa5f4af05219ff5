package org.unmask.hub;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One repository brought into the cache, as huggingface_hub's {@code snapshot_download} does it: the revision's
 * commit, the commit's file list, then for every wanted file not yet in the snapshot its metadata and, unless its
 * blob is already cached, its content, several files at a time. The ref is written last, so that it only ever
 * names a commit whose snapshot holds everything that was asked for.
 */
final class Pull {
    private final HubSettings settings;
    private final TransferOptions options;
    private final DownloadProgress progress;

    Pull(HubSettings settings, TransferOptions options, DownloadProgress progress) {
        this.settings = settings;
        this.options = options;
        this.progress = progress;
    }

    /** The files of {@code ref}'s revision, as the Hub lists them. */
    List<RepoFile> list(RepoRef ref) throws IOException {
        try (HubHttp http = new HubHttp(settings, options)) {
            HubApi api = new HubApi(http, settings);
            return api.files(ref.repoId(), api.commit(ref));
        }
    }

    PullResult run(RepoRef ref, RepoFilter filter) throws IOException {
        long t0 = System.nanoTime();
        HubCache cache = new HubCache(settings.cache(), ref);
        if (settings.offline()) {
            Path snapshot = cache.snapshotOf(ref.revision()).orElseThrow(() -> Hub.notCached(ref, settings));
            return new PullResult(ref, snapshot.getFileName().toString(), snapshot, 0, 0, 0, Duration.ZERO, true);
        }
        try (HubHttp http = new HubHttp(settings, options);
             ExecutorService pool = Executors.newFixedThreadPool(options.workers(), daemon("hub-download"));
             ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(daemon("hub-watchdog"))) {
            HubApi api = new HubApi(http, settings);
            String commit = api.commit(ref);
            List<RepoFile> all = api.files(ref.repoId(), commit);
            List<RepoFile> wanted = all.stream().filter(f -> filter.accepts(f.path())).toList();
            if (wanted.isEmpty())
                throw new HubException(ref + ": none of its " + all.size() + " files matches " + describe(filter));
            // a snapshot file that exists is complete (only verified blobs are linked), as huggingface_hub assumes
            List<RepoFile> missing = wanted.stream().filter(f -> !cache.hasFile(commit, f.path())).toList();
            List<Blob> blobs = blobs(pool, api, ref.repoId(), commit, missing);
            Fetched fetched = fetch(pool, new BlobDownload(http, cache, settings, options, watchdog), cache, ref, commit, blobs);
            if (!ref.isCommit()) cache.writeRef(ref.revision(), commit);
            return new PullResult(ref, commit, cache.snapshot(commit), wanted.size(), fetched.files(), fetched.bytes(),
                    Duration.ofNanos(System.nanoTime() - t0), false);
        }
    }

    /** A blob and the files of the commit that have its content (usually one). */
    private record Blob(FileMetadata meta, List<RepoFile> files) {}

    /** What the downloads brought: files whose content was not cached before, and bytes transferred. */
    private record Fetched(int files, long bytes) {}

    /** The metadata of every missing file (HEAD requests side by side), grouped by content. */
    private static List<Blob> blobs(ExecutorService pool, HubApi api, String repoId, String commit, List<RepoFile> missing)
            throws IOException {
        List<FileMetadata> metas = all(pool, missing.stream().<Callable<FileMetadata>>map(f ->
                () -> api.metadata(repoId, commit, f.path())).toList());
        Map<String, Blob> byEtag = new LinkedHashMap<>();
        for (int i = 0; i < missing.size(); i++) {
            FileMetadata m = metas.get(i);
            byEtag.computeIfAbsent(m.etag(), e -> new Blob(m, new ArrayList<>())).files().add(missing.get(i));
        }
        return List.copyOf(byEtag.values());
    }

    /** Downloads the blobs the cache lacks, several at a time, and links every file into the snapshot. */
    private Fetched fetch(ExecutorService pool, BlobDownload download, HubCache cache, RepoRef ref, String commit,
                          List<Blob> blobs) throws IOException {
        long total = 0, resumed = 0;
        for (Blob b : blobs) {
            if (cache.hasBlob(b.meta().etag())) continue;
            total += b.meta().size();
            resumed += download.resumable(b.meta());
        }
        AtomicLong bytes = new AtomicLong();
        AtomicInteger files = new AtomicInteger();
        if (total > 0) progress.start(ref.repoId(), total, resumed);
        try {
            all(pool, blobs.stream().<Callable<Void>>map(b -> () -> {
                boolean had = cache.hasBlob(b.meta().etag());
                bytes.addAndGet(download.fetch(ref.repoId(), b.files().getFirst().path(), b.meta(), progress));
                for (RepoFile f : b.files()) cache.link(commit, f.path(), b.meta().etag());
                if (!had) files.addAndGet(b.files().size());
                return null;
            }).toList());
        } finally {
            progress.close();
        }
        return new Fetched(files.get(), bytes.get());
    }

    /**
     * Runs every task and waits for all of them, so that one failed file does not abandon the others half way (what
     * finishes is cached for the next pull); then reports the first failure and how many more there were.
     */
    private static <T> List<T> all(ExecutorService pool, List<Callable<T>> tasks) throws IOException {
        List<Future<T>> futures = new ArrayList<>();
        for (Callable<T> t : tasks) futures.add(pool.submit(t));
        List<T> results = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (Future<T> f : futures) {
            try {
                results.add(f.get());
            } catch (ExecutionException e) {
                failures.add(e.getCause());
                results.add(null);
            } catch (InterruptedException e) {
                futures.forEach(x -> x.cancel(true));
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("pull interrupted");
            }
        }
        if (failures.isEmpty()) return results;
        Throwable first = failures.getFirst();
        String more = failures.size() > 1 ? " (and " + (failures.size() - 1) + " more file"
                + (failures.size() > 2 ? "s" : "") + " failed)" : "";
        if (first instanceof HubException h) throw new HubException(h.getMessage() + more, false, h);
        if (first instanceof UncheckedIOException u) first = u.getCause();
        if (first instanceof IOException io) throw io;
        if (first instanceof RuntimeException r) throw r;
        if (first instanceof Error err) throw err;
        throw new IOException(first);
    }

    private static String describe(RepoFilter filter) {
        List<String> parts = new ArrayList<>();
        for (String p : filter.include()) parts.add("--include " + p);
        for (String p : filter.exclude()) parts.add("--exclude " + p);
        return String.join(" ", parts);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return Thread.ofPlatform().name(name + "-", 1).daemon().factory();
    }
}
