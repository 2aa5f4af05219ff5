package org.unmask.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face Hub on 127.0.0.1 that answers as the real one does for downloads: the revision and tree APIs (the
 * tree paged by {@code Link} headers), {@code HEAD}/{@code GET} on resolve URLs with ETags and Range requests, LFS
 * files redirected to a second server (the "CDN"), gated and unknown repositories, renamed repositories (a
 * relative redirect), and injected faults. Every request is recorded with its Authorization and Range headers.
 */
public final class FakeHub implements AutoCloseable {
    /** One recorded request. */
    public record Request(String server, String method, String path, String authorization, String range) {
        boolean isDownload() { return method.equals("GET") && (server.equals("cdn") || path.contains("/resolve/")); }
    }

    /** A file of a commit. */
    record File(byte[] content, boolean lfs) {
        String etag() { return lfs ? sha256(content) : gitSha1(content); }
    }

    /** A repository: branches and the files of each commit. */
    public static final class Repo {
        public final Map<String, String> refs = new ConcurrentHashMap<>();
        final Map<String, Map<String, File>> commits = new ConcurrentHashMap<>();
        public volatile boolean gated;

        /** Creates a commit with these files (those in {@code lfs} stored in LFS) and points {@code branch} at it. */
        public String commit(String branch, Map<String, byte[]> files, Set<String> lfs) {
            Map<String, File> tree = new LinkedHashMap<>();
            files.forEach((p, c) -> tree.put(p, new File(c, lfs.contains(p))));
            String sha = sha1((branch + commits.size() + files.keySet()).getBytes(StandardCharsets.UTF_8));
            commits.put(sha, tree);
            refs.put(branch, sha);
            return sha;
        }
    }

    private final HttpServer hub, cdn;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    public final List<Request> requests = new CopyOnWriteArrayList<>();

    /** Token that opens gated repositories. */
    public volatile String grantedToken = "hf_granted";
    /** Tree entries per page. */
    public volatile int pageSize = 1000;
    /** Answer 401 without X-Error-Code for unknown repositories (as some mirrors do). */
    public volatile boolean bareErrors;
    /** The next download of these paths sends this many bytes of its range, then drops the connection. */
    public final Map<String, Integer> dropAfter = new ConcurrentHashMap<>();
    /** The next download of these paths sends this many bytes, then sends nothing until the client gives up. */
    public final Map<String, Integer> stallAfter = new ConcurrentHashMap<>();
    /** Downloads of these paths always have their first byte changed. */
    public final Set<String> corrupt = ConcurrentHashMap.newKeySet();
    /** Resolve URLs of these paths answer 404 EntryNotFound although the tree lists them (a file deleted meanwhile). */
    public final Set<String> vanished = ConcurrentHashMap.newKeySet();
    /** The CDN answers 403 (an expired signature) for these paths. */
    public final Set<String> expired = ConcurrentHashMap.newKeySet();
    /** Downloads of these paths answer 200 with the whole file to a Range request. */
    public final Set<String> ignoreRange = ConcurrentHashMap.newKeySet();
    /** The next N revision API calls answer 503. */
    public final AtomicInteger unavailable = new AtomicInteger();
    /** Content downloads wait (up to 5 s) until this many are in flight, to prove they run side by side. */
    public volatile int holdUntilParallel = 1;
    private final AtomicInteger inFlight = new AtomicInteger();
    public final AtomicInteger maxInFlight = new AtomicInteger();

    public FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", ex -> handle(ex, "hub"));
        cdn.createContext("/", ex -> handle(ex, "cdn"));
        hub.setExecutor(executor);
        cdn.setExecutor(executor);
        hub.start();
        cdn.start();
    }

    /** The Hub's base URL (HF_ENDPOINT). */
    public URI endpoint() { return URI.create("http://127.0.0.1:" + hub.getAddress().getPort()); }

    /** The repository {@code id}, created empty on first use. */
    public Repo repo(String id) { return repos.computeIfAbsent(id, k -> new Repo()); }

    /** Makes {@code oldId} a former name of {@code newId}: its resolve URLs redirect to the new name. */
    public void rename(String oldId, String newId) { renamed.put(oldId, newId); }

    /** Requests to one server. */
    public List<Request> requests(String server) { return requests.stream().filter(r -> r.server.equals(server)).toList(); }

    /** Content downloads (GET of a resolve URL or on the CDN). */
    public List<Request> downloads() { return requests.stream().filter(Request::isDownload).toList(); }

    @Override public void close() {
        hub.stop(0);
        cdn.stop(0);
        executor.shutdownNow();
    }

    private static final Pattern REVISION = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/(.+)");
    private static final Pattern TREE = Pattern.compile("/api/models/([^/]+/[^/]+)/tree/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern LFS = Pattern.compile("/lfs/([0-9a-f]{64})");

    private void handle(HttpExchange ex, String server) throws IOException {
        String path = ex.getRequestURI().getPath();   // decoded
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Range")));
        try (ex) {
            Matcher m;
            if (server.equals("cdn") && (m = LFS.matcher(path)).matches()) {
                cdnFile(ex, m.group(1));
            } else if (server.equals("hub") && (m = REVISION.matcher(path)).matches()) {
                revision(ex, m.group(1), m.group(2));
            } else if (server.equals("hub") && (m = TREE.matcher(path)).matches()) {
                tree(ex, m.group(1), m.group(2));
            } else if (server.equals("hub") && (m = RESOLVE.matcher(path)).matches()) {
                resolve(ex, m.group(1), m.group(2), m.group(3));
            } else {
                send(ex, 404, "{\"error\":\"no route\"}");
            }
        }
    }

    /** The repository, or an error answered (and null) the way the Hub answers for gated and unknown ones. */
    private Repo access(HttpExchange ex, String id) throws IOException {
        Repo r = repos.get(renamed.getOrDefault(id, id));
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (r == null) {
            if (bareErrors) send(ex, 401, "");
            else error(ex, auth == null ? 401 : 404, "RepoNotFound", "Repository Not Found for url: " + ex.getRequestURI());
            return null;
        }
        if (r.gated && !("Bearer " + grantedToken).equals(auth)) {
            error(ex, auth == null ? 401 : 403, "GatedRepo", "Access to model " + id + " is restricted.");
            return null;
        }
        return r;
    }

    private void revision(HttpExchange ex, String id, String rev) throws IOException {
        if (unavailable.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            send(ex, 503, "busy");
            return;
        }
        Repo r = access(ex, id);
        if (r == null) return;
        String sha = r.commits.containsKey(rev) ? rev : r.refs.get(rev);
        if (sha == null) error(ex, 404, "RevisionNotFound", "Invalid rev id: " + rev);
        else send(ex, 200, "{\"id\":\"" + id + "\",\"sha\":\"" + sha + "\",\"private\":false}");
    }

    private void tree(HttpExchange ex, String id, String commit) throws IOException {
        Repo r = access(ex, id);
        if (r == null) return;
        Map<String, File> files = r.commits.get(commit);
        if (files == null) {
            error(ex, 404, "RevisionNotFound", "Invalid rev id: " + commit);
            return;
        }
        // folders are listed too, as the Hub does; the client skips them
        List<String> entries = new ArrayList<>();
        Set<String> dirs = new java.util.TreeSet<>();
        files.keySet().forEach(p -> {
            for (int i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) dirs.add(p.substring(0, i));
        });
        dirs.forEach(d -> entries.add("{\"type\":\"directory\",\"oid\":\"" + sha1(d.getBytes()) + "\",\"size\":0,\"path\":\"" + d + "\"}"));
        files.forEach((p, f) -> entries.add("{\"type\":\"file\",\"oid\":\"" + gitSha1(f.lfs ? pointer(f) : f.content) + "\",\"size\":"
                + f.content.length + ",\"path\":\"" + p + "\"" + (f.lfs ? ",\"lfs\":{\"oid\":\"" + sha256(f.content) + "\",\"size\":"
                + f.content.length + ",\"pointerSize\":" + pointer(f).length + "}" : "") + "}"));
        String query = ex.getRequestURI().getQuery();
        int from = query != null && query.contains("cursor=") ? Integer.parseInt(query.replaceAll(".*cursor=(\\d+).*", "$1")) : 0;
        int to = Math.min(entries.size(), from + pageSize);
        if (to < entries.size()) {
            ex.getResponseHeaders().add("Link", "<" + endpoint() + "/api/models/" + id + "/tree/" + commit
                    + "?recursive=true&cursor=" + to + ">; rel=\"next\"");
        }
        send(ex, 200, "[" + String.join(",", entries.subList(from, to)) + "]");
    }

    private void resolve(HttpExchange ex, String id, String rev, String path) throws IOException {
        if (renamed.containsKey(id)) {
            // the Hub sends a repository's former name to its new one with a relative redirect
            ex.getResponseHeaders().set("Location", "/" + renamed.get(id) + "/resolve/" + rev + "/" + path);
            ex.sendResponseHeaders(307, -1);
            return;
        }
        Repo r = access(ex, id);
        if (r == null) return;
        String sha = r.commits.containsKey(rev) ? rev : r.refs.get(rev);
        if (sha == null) {
            error(ex, 404, "RevisionNotFound", "Invalid rev id: " + rev);
            return;
        }
        File f = r.commits.get(sha).get(path);
        if (f == null || vanished.contains(path)) {
            error(ex, 404, "EntryNotFound", path + " does not exist on \"" + rev + "\"");
            return;
        }
        ex.getResponseHeaders().set("X-Repo-Commit", sha);
        if (f.lfs) {
            ex.getResponseHeaders().set("X-Linked-Etag", "\"" + f.etag() + "\"");
            ex.getResponseHeaders().set("X-Linked-Size", String.valueOf(f.content.length));
            // the pointer's ETag and size: what a client must NOT take for the file's
            ex.getResponseHeaders().set("ETag", "W/\"" + gitSha1(pointer(f)) + "\"");
            ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/lfs/" + f.etag()
                    + "?X-Amz-Signature=secret&path=" + path);
            if (ex.getRequestMethod().equals("HEAD")) ex.getResponseHeaders().set("Content-Length", String.valueOf(pointer(f).length));
            ex.sendResponseHeaders(302, -1);
            return;
        }
        ex.getResponseHeaders().set("ETag", "\"" + f.etag() + "\"");
        content(ex, path, f.content);
    }

    private void cdnFile(HttpExchange ex, String sha) throws IOException {
        for (Repo r : repos.values()) {
            for (Map<String, File> files : r.commits.values()) {
                for (var e : files.entrySet()) {
                    if (e.getValue().lfs && e.getValue().etag().equals(sha)) {
                        if (expired.contains(e.getKey())) send(ex, 403, "<Error><Code>AccessDenied</Code></Error>");
                        else content(ex, e.getKey(), e.getValue().content);
                        return;
                    }
                }
            }
        }
        send(ex, 404, "no such object");
    }

    /** A file's bytes, honouring Range, with the faults injected for its path. */
    private void content(HttpExchange ex, String path, byte[] content) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", String.valueOf(content.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (inFlight.get() < holdUntilParallel && maxInFlight.get() < holdUntilParallel && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            byte[] body = content.clone();
            if (corrupt.contains(path) && body.length > 0) body[0] ^= 1;
            String range = ex.getRequestHeaders().getFirst("Range");
            int from = 0;
            if (range != null && !ignoreRange.contains(path)) {
                from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-.*", "$1"));
                if (from >= body.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            }
            ex.sendResponseHeaders(from > 0 ? 206 : 200, body.length - from);
            OutputStream out = ex.getResponseBody();
            Integer drop = dropAfter.remove(path), stall = stallAfter.remove(path);
            Integer cut = drop != null ? drop : stall;
            if (cut != null) {
                out.write(body, from, Math.min(cut, body.length - from));
                out.flush();
                if (stall != null) Thread.sleep(3_000);
                // an exception from a handler makes the server close the connection mid-body
                throw new IOException("connection dropped on purpose");
            }
            out.write(body, from, body.length - from);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        ex.getResponseHeaders().set("X-Error-Code", code);
        ex.getResponseHeaders().set("X-Error-Message", message);
        send(ex, status, "{\"error\":\"" + message.replace("\"", "\\\"") + "\"}");
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) ex.getResponseBody().write(b);
    }

    /** The git-lfs pointer file that git stores for an LFS file. */
    private static byte[] pointer(File f) {
        return ("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256(f.content) + "\nsize " + f.content.length + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(byte[] b) { return digest("SHA-256", b); }

    static String sha1(byte[] b) { return digest("SHA-1", b); }

    /** git's blob id: sha1 of "blob SIZE\0" and the content. */
    static String gitSha1(byte[] b) {
        byte[] header = ("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[header.length + b.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(b, 0, all, header.length, b.length);
        return sha1(all);
    }

    private static String digest(String alg, byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(alg).digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
