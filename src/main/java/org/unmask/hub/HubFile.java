package org.unmask.hub;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One GGUF file of a Hub repository: {@code ORG/NAME/PATH.gguf[@REV]}, as quantized models are shared (a repository
 * of several files, one per quantization, of which a user wants one).
 */
public record HubFile(RepoRef repo, String path) {
    private static final Pattern SPEC = Pattern.compile("([\\w.-]+/[\\w.-]+)/((?:[\\w.-]+/)*[\\w.-]+\\.gguf)(?:@(.+))?");

    public HubFile {
        if (path.isEmpty() || path.startsWith("/") || ("/" + path + "/").contains("/../") || ("/" + path + "/").contains("/./"))
            throw new IllegalArgumentException("'" + path + "' is not a file path inside " + repo.repoId());
    }

    /** Parses {@code ORG/NAME/PATH.gguf[@REVISION]}; empty when {@code spec} has another shape. */
    public static Optional<HubFile> parse(String spec) {
        Matcher m = SPEC.matcher(spec);
        if (!m.matches()) return Optional.empty();
        try {
            return Optional.of(new HubFile(new RepoRef(m.group(1), m.group(3) == null ? RepoRef.DEFAULT_REVISION : m.group(3)),
                    m.group(2)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * What to download for it: the file, and the tokenizer.json and tokenizer_config.json beside it when the
     * repository has them (a tokenizer.json beside a GGUF file wins over its metadata; the config gives the chat
     * template).
     */
    RepoFilter filter() {
        String folder = path.contains("/") ? path.substring(0, path.lastIndexOf('/') + 1) : "";
        return new RepoFilter(java.util.List.of(escape(path), escape(folder + "tokenizer.json"), escape(folder + "tokenizer_config.json")),
                java.util.List.of());
    }

    /** {@code s} as a glob that matches itself only. */
    private static String escape(String s) {
        StringBuilder g = new StringBuilder();
        for (char c : s.toCharArray()) g.append(c == '*' || c == '?' || c == '[' ? "[" + c + "]" : String.valueOf(c));
        return g.toString();
    }

    @Override public String toString() { return repo.repoId() + "/" + path + "@" + repo.revision(); }
}
