package org.unmask.hub;

import java.util.Optional;

/**
 * A file of a commit, as the tree API lists it.
 *
 * @param path      slash-separated path in the repository
 * @param size      content size in bytes
 * @param gitOid    git blob id (sha1): the ETag of a file stored in git
 * @param lfsSha256 sha256 of the content for a file stored in LFS: its ETag
 */
public record RepoFile(String path, long size, String gitOid, Optional<String> lfsSha256) {
    public RepoFile {
        checkPath(path);
        if (size < 0) throw new IllegalArgumentException(path + ": negative size " + size);
    }

    /** Refuses paths that would leave the snapshot folder or that no repository can hold. */
    static void checkPath(String path) {
        boolean bad = path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.indexOf('\0') >= 0;
        for (String segment : path.split("/", -1)) bad |= segment.isEmpty() || segment.equals(".") || segment.equals("..");
        if (bad) throw new IllegalArgumentException("'" + path + "' is not a valid repository file path");
    }
}
