package org.unmask.hub;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GGUF file of a Hub repository named by its quantization, as llama.cpp's {@code -hf ORG/NAME:Q4_K_M} names it:
 * {@code ORG/NAME:TAG[@REV]}, the one {@code .gguf} file (not a projector's) whose name holds TAG as a whole word,
 * case aside.
 */
public record HubQuant(RepoRef repo, String tag) {
    private static final Pattern SPEC = Pattern.compile("([\\w.-]+/[\\w.-]+):([\\w.-]+)(?:@(.+))?");

    /** Parses {@code ORG/NAME:TAG[@REVISION]}; empty when {@code spec} has another shape. */
    public static Optional<HubQuant> parse(String spec) {
        Matcher m = SPEC.matcher(spec);
        if (!m.matches()) return Optional.empty();
        try {
            return Optional.of(new HubQuant(new RepoRef(m.group(1), m.group(3) == null ? RepoRef.DEFAULT_REVISION : m.group(3)),
                    m.group(2)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The one file of {@code paths} this names, or an error that lists the repository's GGUF files. */
    HubFile choose(List<String> paths) throws HubException {
        Pattern word = Pattern.compile("(?i)(^|[^a-z0-9])" + Pattern.quote(tag) + "([^a-z0-9_]|$)");
        List<String> ggufs = paths.stream().filter(p -> p.toLowerCase(Locale.ROOT).endsWith(".gguf"))
                .filter(p -> !p.toLowerCase(Locale.ROOT).contains("mmproj")).sorted().toList();
        List<String> hits = ggufs.stream().filter(p -> word.matcher(p.substring(p.lastIndexOf('/') + 1)).find()).toList();
        if (hits.size() == 1) return new HubFile(repo, hits.getFirst());
        throw new HubException(repo + ": " + (hits.isEmpty() ? "no GGUF file is named " + tag : "several GGUF files are named "
                + tag + " (" + String.join(", ", hits) + "); name one as " + repo.repoId() + "/FILE.gguf")
                + (ggufs.isEmpty() ? "; the repository has no GGUF file" : hits.isEmpty() ? "; it has " + String.join(", ", ggufs) : ""));
    }

    @Override public String toString() { return repo.repoId() + ":" + tag + "@" + repo.revision(); }
}
