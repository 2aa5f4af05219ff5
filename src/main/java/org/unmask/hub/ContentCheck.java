package org.unmask.hub;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * The digest a Hub ETag stands for, computed as the bytes arrive: a 64-hex ETag is the sha256 of an LFS file's
 * content, a 40-hex one the git blob id of a file kept in git, {@code sha1("blob SIZE\0" + content)}. Other ETags
 * (some mirrors) cannot be checked; then only the size is.
 */
final class ContentCheck {
    private final String expected;
    private final String algorithm;
    private final long size;
    private final MessageDigest digest;

    private ContentCheck(String expected, String algorithm, long size) {
        this.expected = expected.toLowerCase(Locale.ROOT);
        this.algorithm = algorithm;
        this.size = size;
        try {
            this.digest = algorithm == null ? null : MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has " + algorithm, e);
        }
        reset();
    }

    /** The check for a file with this ETag and expected size. */
    static ContentCheck forEtag(String etag, long size) {
        if (etag.matches("[0-9a-fA-F]{64}")) return new ContentCheck(etag, "SHA-256", size);
        if (etag.matches("[0-9a-fA-F]{40}")) return new ContentCheck(etag, "SHA-1", size);
        return new ContentCheck(etag, null, size);
    }

    /** Starts over, as for a download restarted from byte 0. */
    void reset() {
        if (digest == null) return;
        digest.reset();
        if (isGitBlob()) digest.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    void update(byte[] bytes, int offset, int length) {
        if (digest != null) digest.update(bytes, offset, length);
    }

    /** What went wrong, or empty when the digest is the ETag (or cannot be checked). Call once, at the end. */
    Optional<String> mismatch() {
        if (digest == null) return Optional.empty();
        String actual = HexFormat.of().formatHex(digest.digest());
        return actual.equals(expected) ? Optional.empty()
                : Optional.of((isGitBlob() ? "git blob sha1" : "sha256") + " mismatch: expected " + expected + ", got " + actual);
    }

    private boolean isGitBlob() { return "SHA-1".equals(algorithm); }
}
