package org.unmask.hub;

import java.net.URI;

/**
 * What a {@code HEAD} on a file's resolve URL says about it.
 *
 * @param commit   the commit it was resolved at ({@code X-Repo-Commit})
 * @param etag     its content id, quotes and {@code W/} removed: sha256 for LFS files, the git blob sha1 otherwise
 * @param size     its size in bytes
 * @param location where to download it: the resolve URL after same-host redirects, or the CDN URL of an LFS file
 */
public record FileMetadata(String commit, String etag, long size, URI location) {

    /** An ETag header value without its weak marker and quotes, as huggingface_hub stores it. */
    static String normalizeEtag(String raw) {
        String e = raw.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e;
    }
}
