package org.unmask.hub;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model repository on the Hub and the revision wanted: {@code ORG/NAME} and a branch, tag or commit
 * ({@code main} unless {@code @REV} says otherwise).
 */
public record RepoRef(String repoId, String revision) {
    /** The branch a reference without {@code @REV} means, as in huggingface_hub. */
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern SPEC = Pattern.compile("([\\w.-]+)/([\\w.-]+)(?:@(.+))?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public RepoRef {
        if (!SPEC.matcher(repoId).matches() || repoId.contains("@"))
            throw new IllegalArgumentException("'" + repoId + "' is not a repository id of the form ORG/NAME");
        for (String part : repoId.split("/")) {
            // the Hub forbids these, and "--" would make the cache folder name ambiguous
            if (part.equals(".") || part.equals("..") || part.contains("--") || part.contains(".."))
                throw new IllegalArgumentException("'" + repoId + "' is not a valid repository id (no '--' or '..' in names)");
        }
        if (revision.isEmpty() || revision.startsWith("/") || revision.endsWith("/")
                || ("/" + revision + "/").contains("/../") || ("/" + revision + "/").contains("/./")
                || revision.contains("//") || revision.contains("\\"))
            throw new IllegalArgumentException("'" + revision + "' is not a valid revision of " + repoId);
    }

    /** Parses {@code ORG/NAME[@REVISION]}; empty when {@code spec} has another shape. */
    public static Optional<RepoRef> parse(String spec) {
        Matcher m = SPEC.matcher(spec);
        if (!m.matches()) return Optional.empty();
        try {
            return Optional.of(new RepoRef(m.group(1) + "/" + m.group(2), m.group(3) == null ? DEFAULT_REVISION : m.group(3)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Parses {@code ORG/NAME[@REVISION]}, or fails with a message that shows the expected form. */
    public static RepoRef of(String spec) {
        return parse(spec).orElseThrow(() -> new IllegalArgumentException(
                "'" + spec + "' is not a Hub model reference of the form ORG/NAME or ORG/NAME@REVISION"));
    }

    /** Whether the revision is a full commit hash (then it is pinned: no ref is written for it). */
    public boolean isCommit() { return isCommit(revision); }

    /** Whether {@code s} is a full 40-hex commit hash. */
    static boolean isCommit(String s) { return COMMIT.matcher(s).matches(); }

    /** The cache folder name huggingface_hub uses for this repository: {@code models--ORG--NAME}. */
    public String cacheFolderName() { return "models--" + repoId.replace("/", "--"); }

    @Override public String toString() { return repoId + "@" + revision; }
}
