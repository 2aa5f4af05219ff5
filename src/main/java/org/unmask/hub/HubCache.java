package org.unmask.hub;

import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * One repository's folder in the Hugging Face cache, laid out as huggingface_hub lays it out:
 * {@code blobs/ETAG} holds each file's content once, {@code snapshots/COMMIT/PATH} are relative symlinks to those
 * blobs, {@code refs/REVISION} holds the commit a branch or tag pointed to (40 hex, no newline), and a download in
 * progress is {@code blobs/ETAG.incomplete}.
 */
public final class HubCache {
    /** Safe as one file name, and what the Hub's ETags look like (hex digests, sometimes with dashes). */
    private static final Pattern ETAG = Pattern.compile("[\\w.-]+");

    private final Path cacheRoot;
    private final Path repoDir;

    /** The folder of {@code ref}'s repository under the hub cache directory {@code cacheRoot}. */
    public HubCache(Path cacheRoot, RepoRef ref) {
        this.cacheRoot = cacheRoot;
        this.repoDir = cacheRoot.resolve(ref.cacheFolderName());
    }

    /** {@code models--ORG--NAME}. */
    public Path repoDir() { return repoDir; }

    /** The complete, verified content with this ETag. */
    Path blob(String etag) { return repoDir.resolve("blobs").resolve(checkEtag(etag)); }

    /** The partial download of the blob with this ETag; resumed by the next download of it. */
    Path incomplete(String etag) { return repoDir.resolve("blobs").resolve(checkEtag(etag) + ".incomplete"); }

    /** The snapshot folder of a commit. */
    public Path snapshot(String commit) { return repoDir.resolve("snapshots").resolve(commit); }

    /** Where a repository file appears in a commit's snapshot. */
    Path pointer(String commit, String path) {
        Path snapshot = snapshot(commit), p = snapshot.resolve(path).normalize();
        // RepoFile already refuses such paths; this keeps a hostile listing from writing outside the snapshot
        if (!p.startsWith(snapshot) || p.equals(snapshot)) throw new IllegalArgumentException("'" + path + "' leaves the snapshot folder");
        return p;
    }

    /** The cached snapshot of a revision (a commit, or the commit its ref file names), when that folder exists. */
    public Optional<Path> snapshotOf(String revision) throws IOException {
        Optional<String> commit = RepoRef.isCommit(revision) ? Optional.of(revision) : readRef(revision);
        return commit.map(this::snapshot).filter(Files::isDirectory);
    }

    /** The commit {@code refs/REVISION} names, if the ref exists. */
    Optional<String> readRef(String revision) throws IOException {
        Path ref = repoDir.resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) return Optional.empty();
        String commit = Files.readString(ref).strip();
        if (!RepoRef.isCommit(commit))
            throw new HubException(ref + " does not hold a commit hash (got '" + commit + "'); delete it and pull again");
        return Optional.of(commit);
    }

    /** Records that {@code revision} points to {@code commit}, atomically, in huggingface_hub's format (no newline). */
    void writeRef(String revision, String commit) throws IOException {
        AtomicFile.writeString(repoDir.resolve("refs").resolve(revision), commit);
    }

    /**
     * Makes {@code snapshots/COMMIT/PATH} a relative symlink to {@code blobs/ETAG} (which must be complete), replacing
     * whatever was there in one rename. Where symlinks are not allowed (Windows without developer mode) the blob is
     * copied, as huggingface_hub does.
     */
    void link(String commit, String path, String etag) throws IOException {
        Path blob = blob(etag);
        if (!Files.isRegularFile(blob)) throw new IllegalStateException(blob + " is not a complete blob");
        Path pointer = pointer(commit, path);
        Files.createDirectories(pointer.getParent());
        Path target = pointer.getParent().relativize(blob);
        Path temp = pointer.resolveSibling("." + pointer.getFileName() + ".link-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
        try {
            Files.createSymbolicLink(temp, target);
        } catch (UnsupportedOperationException | FileSystemException e) {
            // POSIX file systems always allow symlinks: a failure there is a real error, not a reason to copy gigabytes
            if (e instanceof FileSystemException && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) throw e;
            AtomicFile.copy(blob, pointer);
            return;
        }
        try {
            Files.move(temp, pointer, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, pointer, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Whether the snapshot already shows this file (a symlink to an existing blob, or a copy). */
    boolean hasFile(String commit, String path) {
        return Files.exists(pointer(commit, path));
    }

    /** A lock file beside huggingface_hub's ({@code .locks/models--ORG--NAME/ETAG.lock}) that serialises writers of one blob. */
    Path lockFile(String etag) {
        return cacheRoot.resolve(".locks").resolve(repoDir.getFileName()).resolve(checkEtag(etag) + ".lock");
    }

    /** Whether the blob with this ETag is complete in the cache. */
    boolean hasBlob(String etag) { return Files.isRegularFile(blob(etag)); }

    private static String checkEtag(String etag) {
        if (!ETAG.matcher(etag).matches() || etag.startsWith("."))
            throw new IllegalArgumentException("ETag '" + etag + "' cannot name a cache file");
        return etag;
    }
}
