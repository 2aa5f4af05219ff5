package org.unmask.hub;

import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings one blob into the cache: appends to {@code blobs/ETAG.incomplete} from where an earlier attempt (or
 * process, or Python) stopped with a {@code Range} request, retries dropped and stalled connections from the byte
 * they reached, checks the size and the digest the ETag names, and only then renames the file to {@code blobs/ETAG}.
 * A file that fails its check is deleted, since resuming it would only repeat the failure.
 */
final class BlobDownload {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-");
    /** Threads of this process that download the same blob take turns (file locks only exclude other processes). */
    private static final Map<Path, Object> IN_PROCESS = new ConcurrentHashMap<>();

    private final HubHttp http;
    private final HubCache cache;
    private final HubSettings settings;
    private final TransferOptions options;
    private final ScheduledExecutorService watchdog;

    BlobDownload(HubHttp http, HubCache cache, HubSettings settings, TransferOptions options, ScheduledExecutorService watchdog) {
        this.http = http;
        this.cache = cache;
        this.settings = settings;
        this.options = options;
        this.watchdog = watchdog;
    }

    /** Bytes of a partial download of this blob already on disk, which a fetch will not download again. */
    long resumable(FileMetadata meta) throws IOException {
        Path part = cache.incomplete(meta.etag());
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        return have <= meta.size() ? have : 0;
    }

    /**
     * Makes {@code blobs/ETAG} the verified content of {@code path} in {@code repoId}; returns the bytes downloaded
     * (0 when the blob was already there).
     */
    long fetch(String repoId, String path, FileMetadata meta, DownloadProgress progress) throws IOException {
        if (cache.hasBlob(meta.etag())) return 0;
        Path lockFile = cache.lockFile(meta.etag());
        Files.createDirectories(lockFile.getParent());
        Files.createDirectories(cache.blob(meta.etag()).getParent());
        synchronized (IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath(), k -> new Object())) {
            try (FileChannel lc = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lc.lock()) {
                // another process may have finished it while we waited for the lock
                if (cache.hasBlob(meta.etag())) return 0;
                return download(HubErrors.Subject.file(repoId, meta.commit(), path), meta, progress);
            }
        }
    }

    private long download(HubErrors.Subject subject, FileMetadata meta, DownloadProgress progress) throws IOException {
        Path part = cache.incomplete(meta.etag());
        Partial p;
        try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            p = new Partial(out, ContentCheck.forEtag(meta.etag(), meta.size()), progress);
            p.resume(meta.size());
            int failures = 0;
            while (p.have < meta.size()) {
                long before = p.have;
                try {
                    transfer(subject, meta, p);
                } catch (HubException e) {
                    if (!e.retryable()) throw e;
                    if (p.have > before) failures = 0;
                    if (++failures > options.retries())
                        throw new HubException(e.getMessage() + "; gave up after " + failures + " attempts in a row"
                                + " (the " + DownloadProgress.bytes(p.have) + " so far are kept and the next pull resumes from there)", false, e);
                    http.pause(failures);
                }
            }
            out.force(true);
        }
        Optional<String> bad = p.check.mismatch();
        if (bad.isPresent()) {
            Files.deleteIfExists(part);
            throw new HubException(subject.where() + " file '" + subject.file() + "': " + bad.get()
                    + "; the download was discarded (run the pull again; if it repeats, the server or a proxy alters the file)");
        }
        AtomicFile.publish(part, cache.blob(meta.etag()));
        return p.fetched;
    }

    /** One GET from where the partial file ends to the end of the file, or to where the connection fails. */
    private void transfer(HubErrors.Subject subject, FileMetadata meta, Partial p) throws IOException {
        Map<String, String> range = p.have > 0 ? Map.of("Range", "bytes=" + p.have + "-") : Map.of();
        try (HubHttp.Answer a = http.exchange("GET", meta.location(), range, true)) {
            switch (a.status()) {
                case 200 -> {
                    // the server ignored the range: its body starts at byte 0
                    if (p.have > 0) p.restart();
                }
                case 206 -> {
                    long start = a.header("Content-Range").map(CONTENT_RANGE::matcher).filter(Matcher::find)
                            .map(m -> Long.parseLong(m.group(1))).orElse(-1L);
                    if (start != p.have) {
                        String message = subject.where() + " file '" + subject.file() + "': asked for bytes from " + p.have
                                + ", the server sent " + a.header("Content-Range").orElse("no Content-Range") + "; starting over";
                        p.restart();
                        throw HubException.transientFailure(message, null);
                    }
                }
                case 416 -> {
                    p.restart();
                    throw HubException.transientFailure(subject.where() + " file '" + subject.file()
                            + "': the server refused the range of the partial download (HTTP 416); starting over", null);
                }
                default -> throw HubErrors.of(a, "GET", subject, settings);
            }
            copy(subject, a, meta.size(), p);
        }
    }

    /** Appends the body to the partial file until the expected size; a watchdog closes a body that stalls. */
    private void copy(HubErrors.Subject subject, HubHttp.Answer a, long size, Partial p) throws IOException {
        long stallNanos = options.stallTimeout().toNanos();
        AtomicLong lastData = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        long period = Math.max(10, options.stallTimeout().toMillis() / 4);
        ScheduledFuture<?> guard = watchdog.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastData.get() > stallNanos) {
                stalled.set(true);
                a.close();   // the blocked read then fails, and the retry resumes from the last byte written
            }
        }, period, period, TimeUnit.MILLISECONDS);
        byte[] buf = new byte[1 << 16];
        InputStream in = a.body();
        try {
            while (p.have < size) {
                int n;
                try {
                    n = in.read(buf, 0, (int) Math.min(buf.length, size - p.have));
                } catch (IOException e) {
                    throw lost(subject, p.have, size, stalled.get() ? stallText() : "connection lost (" + HubHttp.describe(e) + ")", e);
                }
                if (n < 0) throw lost(subject, p.have, size, stalled.get() ? stallText() : "connection closed", null);
                p.append(buf, n);
                lastData.set(System.nanoTime());
            }
        } finally {
            guard.cancel(false);
        }
    }

    private String stallText() {
        long ms = options.stallTimeout().toMillis();
        return "no data for " + (ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms");
    }

    private static HubException lost(HubErrors.Subject s, long have, long size, String why, Throwable cause) {
        return HubException.transientFailure(s.where() + " file '" + s.file() + "': " + why + " after "
                + DownloadProgress.bytes(have) + " of " + DownloadProgress.bytes(size), cause);
    }

    /** The partial file, how much of it there is, and the digest of exactly those bytes. */
    private static final class Partial {
        final FileChannel out;
        final ContentCheck check;
        final DownloadProgress progress;
        long have, fetched;

        Partial(FileChannel out, ContentCheck check, DownloadProgress progress) {
            this.out = out;
            this.check = check;
            this.progress = progress;
        }

        /** Takes over what an earlier attempt left (the progress already counts it), hashing it first. */
        void resume(long size) throws IOException {
            have = out.size();
            if (have > size) {
                // longer than the file can be, so not a prefix of it (and not counted as resumed)
                out.truncate(0);
                have = 0;
                return;
            }
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            for (long pos = 0; pos < have; ) {
                buf.clear();
                int n = out.read(buf, pos);
                if (n < 0) throw new IOException("partial download shrank while being read");
                check.update(buf.array(), 0, n);
                pos += n;
            }
        }

        void append(byte[] bytes, int n) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes, 0, n);
            long pos = have;
            while (b.hasRemaining()) pos += out.write(b, pos);
            check.update(bytes, 0, n);
            have += n;
            fetched += n;
            progress.advance(n);
        }

        void restart() throws IOException {
            progress.advance(-have);
            out.truncate(0);
            have = 0;
            check.reset();
        }
    }
}
