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

            List<FileMetadata> metas = all(pool, missing.stream().<Callable<FileMetadata>>map(f ->
                    () -> api.metadata(ref.repoId(), commit, f.path())).toList());
            Map<String, List<RepoFile>> byBlob = new LinkedHashMap<>();
            Map<String, FileMetadata> blobMeta = new LinkedHashMap<>();
            for (int i = 0; i < missing.size(); i++) {
                byBlob.computeIfAbsent(metas.get(i).etag(), e -> new ArrayList<>()).add(missing.get(i));
                blobMeta.putIfAbsent(metas.get(i).etag(), metas.get(i));
            }

            BlobDownload download = new BlobDownload(http, cache, settings, options, watchdog);
            long total = 0, resumed = 0;
            for (FileMetadata m : blobMeta.values()) {
                if (cache.hasBlob(m.etag())) continue;
                total += m.size();
                resumed += download.resumable(m);
            }
            AtomicLong bytes = new AtomicLong();
            AtomicInteger downloaded = new AtomicInteger();
            if (total > 0) progress.start(ref.repoId(), total, resumed);
            try {
                all(pool, byBlob.entrySet().stream().<Callable<Void>>map(e -> () -> {
                    FileMetadata m = blobMeta.get(e.getKey());
                    boolean had = cache.hasBlob(m.etag());
                    bytes.addAndGet(download.fetch(ref.repoId(), e.getValue().getFirst().path(), m, progress));
                    for (RepoFile f : e.getValue()) cache.link(commit, f.path(), m.etag());
                    if (!had) downloaded.addAndGet(e.getValue().size());
                    return null;
                }).toList());
            } finally {
                progress.close();
            }
            if (!ref.isCommit()) cache.writeRef(ref.revision(), commit);
            return new PullResult(ref, commit, cache.snapshot(commit), wanted.size(), downloaded.get(), bytes.get(),
                    Duration.ofNanos(System.nanoTime() - t0), false);
        }
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
