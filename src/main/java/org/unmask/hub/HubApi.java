package org.unmask.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The three Hub endpoints a download needs, asked the way huggingface_hub asks them: the commit of a revision, the
 * files of a commit (the tree API, paged by {@code Link} headers), and each file's metadata (a {@code HEAD} on its
 * resolve URL).
 */
final class HubApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]*)>\\s*;[^,]*rel\\s*=\\s*\"?next\"?");
    /** A tree of millions of entries is a server looping on its cursor, not a model. */
    private static final int MAX_PAGES = 10_000;

    private final HubHttp http;
    private final HubSettings settings;

    HubApi(HubHttp http, HubSettings settings) {
        this.http = http;
        this.settings = settings;
    }

    /** The commit {@code ref}'s revision points to now ({@code sha} of the revision API). */
    String commit(RepoRef ref) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + ref.repoId() + "/revision/" + encode(ref.revision()));
        JsonNode info = getJson(uri, HubErrors.Subject.revision(ref)).json();
        String sha = info.path("sha").asText("");
        if (!RepoRef.isCommit(sha))
            throw new HubException(settings.endpoint() + " gave no commit for " + ref + " (sha '" + sha + "'); is HF_ENDPOINT a Hugging Face Hub?");
        return sha;
    }

    /** Every file of the commit, in the order the Hub lists them. */
    List<RepoFile> files(String repoId, String commit) throws IOException {
        HubErrors.Subject subject = new HubErrors.Subject(repoId, commit, null);
        URI uri = URI.create(settings.endpoint() + "/api/models/" + repoId + "/tree/" + commit + "?recursive=true");
        List<RepoFile> files = new ArrayList<>();
        for (int page = 0; ; page++) {
            if (page >= MAX_PAGES) throw new HubException(repoId + "@" + commit + ": the file list has more than " + MAX_PAGES + " pages");
            Page p = getJson(uri, subject);
            if (!p.json().isArray()) throw new HubException(repoId + "@" + commit + ": the tree API did not answer a list of files");
            for (JsonNode entry : p.json()) {
                if (entry.path("type").asText().equals("file")) files.add(repoFile(repoId, commit, entry));
            }
            if (p.next().isEmpty()) return files;
            uri = p.next().get();
        }
    }

    /** The commit, ETag, size and download location of one file ({@code HEAD} on its resolve URL). */
    FileMetadata metadata(String repoId, String commit, String path) throws IOException {
        HubErrors.Subject subject = HubErrors.Subject.file(repoId, commit, path);
        URI uri = resolveUri(repoId, commit, path);
        return http.retrying(() -> {
            try (HubHttp.Answer a = http.exchange("HEAD", uri, Map.of(), false)) {
                if (a.status() >= 400 || (a.status() >= 300 && a.header("Location").isEmpty())) throw HubErrors.of(a, "HEAD", subject, settings);
                // an LFS file: the Hub redirects to its CDN and tells the real ETag and size in X-Linked-* headers
                Optional<String> etag = a.header("X-Linked-Etag").or(() -> a.header("ETag")).map(FileMetadata::normalizeEtag);
                Optional<String> size = a.header("X-Linked-Size").or(() -> a.header("Content-Length"));
                if (etag.isEmpty() || etag.get().isEmpty() || size.isEmpty())
                    throw new HubException(subject.where() + " file '" + path + "': the answer to HEAD " + HubHttp.redact(a.uri())
                            + " has no " + (etag.isEmpty() ? "ETag" : "size") + " (HTTP " + a.status() + "); is HF_ENDPOINT a Hugging Face Hub?");
                URI location = a.status() >= 300 ? a.uri().resolve(a.header("Location").get().strip()) : a.uri();
                String at = a.header("X-Repo-Commit").filter(RepoRef::isCommit).orElse(commit);
                try {
                    return new FileMetadata(at, etag.get(), Long.parseLong(size.get().strip()), location);
                } catch (NumberFormatException e) {
                    throw new HubException(subject.where() + " file '" + path + "': size '" + size.get() + "' is not a number");
                }
            }
        });
    }

    /** {@code {endpoint}/{repo}/resolve/{commit}/{path}}, each path segment percent-encoded. */
    URI resolveUri(String repoId, String commit, String path) {
        StringBuilder p = new StringBuilder();
        for (String segment : path.split("/")) p.append('/').append(encode(segment));
        return URI.create(settings.endpoint() + "/" + repoId + "/resolve/" + commit + p);
    }

    private record Page(JsonNode json, Optional<URI> next) {}

    private Page getJson(URI uri, HubErrors.Subject subject) throws IOException {
        return http.retrying(() -> {
            try (HubHttp.Answer a = http.exchange("GET", uri, Map.of("Accept", "application/json"), false)) {
                if (a.status() != 200) throw HubErrors.of(a, "GET", subject, settings);
                JsonNode json;
                try {
                    json = JSON.readTree(a.body());
                } catch (IOException e) {
                    throw HubException.transientFailure(subject.where() + ": the answer to GET " + HubHttp.redact(uri)
                            + " is not complete JSON (" + HubHttp.describe(e) + ")", e);
                }
                return new Page(json, a.headers().allValues("Link").stream().map(NEXT_LINK::matcher).filter(Matcher::find)
                        .findFirst().map(m -> uri.resolve(m.group(1))));
            }
        });
    }

    private static RepoFile repoFile(String repoId, String commit, JsonNode e) throws HubException {
        try {
            JsonNode lfs = e.path("lfs");
            return new RepoFile(e.path("path").asText(""), e.path("size").asLong(-1), e.path("oid").asText(""),
                    lfs.isObject() ? Optional.of(lfs.path("oid").asText("")) : Optional.empty());
        } catch (IllegalArgumentException bad) {
            throw new HubException(repoId + "@" + commit + ": the tree API lists a file the cache cannot hold: " + bad.getMessage());
        }
    }

    /** Percent-encoding as Python's {@code quote(s, safe="")}: a slash in a revision such as {@code refs/pr/1} too. */
    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%7E", "~");
    }
}
