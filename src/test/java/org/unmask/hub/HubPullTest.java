package org.unmask.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pulls against a local Hub: the cache layout, resume, retries, verification, errors, offline mode. */
@Timeout(60)
class HubPullTest {
    static final TransferOptions FAST = new TransferOptions(4, 3, Duration.ofMillis(20), Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofMillis(400));

    @TempDir Path tmp;
    FakeHub fake;
    Path cache;
    final List<String> notes = new ArrayList<>();
    final Map<String, byte[]> files = new LinkedHashMap<>();
    String commit;

    @BeforeEach void repository() throws IOException {
        fake = new FakeHub();
        cache = tmp.resolve("hub");
        files.put("config.json", "{\"d_model\": 32}".getBytes(StandardCharsets.UTF_8));
        files.put("tokenizer.json", "{\"model\": {}}".getBytes(StandardCharsets.UTF_8));
        files.put("README.md", new byte[0]);
        files.put("model.safetensors", random(300_000, 1));
        files.put("sub/dir/extra.bin", random(100_000, 2));
        commit = fake.repo("org/model").commit("main", files, Set.of("model.safetensors", "sub/dir/extra.bin"));
    }

    @AfterEach void stop() { fake.close(); }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    HubSettings settings(String token) { return new HubSettings(fake.endpoint(), Optional.ofNullable(token), cache, false); }

    Hub hub(String token) { return new Hub(settings(token), FAST, notes::add, DownloadProgress.NONE); }

    PullResult pull(String spec) throws IOException { return hub(null).pull(RepoRef.of(spec), RepoFilter.ALL); }

    Path repoDir() { return cache.resolve("models--org--model"); }

    List<String> tree(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test void pullsIntoTheHuggingFaceLayoutWithRelativeLinksAndARef() throws IOException {
        fake.pageSize = 2;   // 5 files and 2 folders: four pages
        PullResult r = hub("hf_secret").pull(RepoRef.of("org/model"), RepoFilter.ALL);

        Path snapshot = repoDir().resolve("snapshots").resolve(commit);
        assertThat(r.snapshot()).isEqualTo(snapshot);
        assertThat(r.commit()).isEqualTo(commit);
        assertThat(r.files()).isEqualTo(5);
        assertThat(r.downloaded()).isEqualTo(5);
        assertThat(r.bytes()).isEqualTo(400_000 + 15 + 13);
        for (var e : files.entrySet()) assertThat(Files.readAllBytes(snapshot.resolve(e.getKey()))).isEqualTo(e.getValue());

        String lfsEtag = FakeHub.sha256(files.get("model.safetensors")), gitEtag = FakeHub.gitSha1(files.get("config.json"));
        assertThat(Files.readSymbolicLink(snapshot.resolve("model.safetensors"))).isEqualTo(Path.of("../../blobs/" + lfsEtag));
        assertThat(Files.readSymbolicLink(snapshot.resolve("config.json"))).isEqualTo(Path.of("../../blobs/" + gitEtag));
        assertThat(Files.readSymbolicLink(snapshot.resolve("sub/dir/extra.bin")))
                .isEqualTo(Path.of("../../../../blobs/" + FakeHub.sha256(files.get("sub/dir/extra.bin"))));
        // huggingface_hub's ref format: the 40-hex commit and no newline
        assertThat(Files.readAllBytes(repoDir().resolve("refs/main"))).isEqualTo(commit.getBytes(StandardCharsets.US_ASCII));
        assertThat(tree(repoDir().resolve("blobs"))).hasSize(5).noneMatch(n -> n.endsWith(".incomplete"));

        assertThat(fake.requests("hub").stream().filter(q -> q.path().contains("/tree/")).count()).isEqualTo(4);
        assertThat(fake.requests("hub")).allMatch(q -> "Bearer hf_secret".equals(q.authorization()));
        assertThat(fake.requests("cdn")).hasSize(2).allMatch(q -> q.authorization() == null);
        assertThat(fake.requests("hub").stream().filter(q -> q.method().equals("HEAD")).count()).isEqualTo(5);
        assertThat(notes).singleElement().asString().contains("org/model@main", "5 files, 5 downloaded");
    }

    @Test void aSecondPullDownloadsNothingAndPythonsCacheIsReused() throws IOException {
        // the layout huggingface_hub writes, made by hand: nothing of it may be downloaded again
        Path blobs = Files.createDirectories(repoDir().resolve("blobs"));
        Path snap = Files.createDirectories(repoDir().resolve("snapshots").resolve(commit));
        for (var e : files.entrySet()) {
            boolean lfs = e.getKey().endsWith(".safetensors") || e.getKey().endsWith(".bin");
            String etag = lfs ? FakeHub.sha256(e.getValue()) : FakeHub.gitSha1(e.getValue());
            Files.write(blobs.resolve(etag), e.getValue());
            Path link = snap.resolve(e.getKey());
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, link.getParent().relativize(blobs.resolve(etag)));
        }
        Files.createDirectories(repoDir().resolve("refs"));
        Files.writeString(repoDir().resolve("refs/main"), commit);

        PullResult r = pull("org/model");
        assertThat(r.snapshot()).isEqualTo(snap);
        assertThat(r.downloaded()).isZero();
        assertThat(r.reused()).isEqualTo(5);
        assertThat(fake.requests).extracting(FakeHub.Request::method).containsOnly("GET");
        assertThat(fake.requests).extracting(FakeHub.Request::path)
                .allMatch(p -> p.startsWith("/api/models/org/model/revision/") || p.startsWith("/api/models/org/model/tree/"));
        pull("org/model");
        assertThat(fake.downloads()).isEmpty();
    }

    @Test void aBlobAnotherCommitAlreadyHasIsLinkedNotDownloaded() throws IOException {
        pull("org/model");
        Map<String, byte[]> next = new LinkedHashMap<>(files);
        next.put("config.json", "{\"d_model\": 64}".getBytes(StandardCharsets.UTF_8));
        String second = fake.repo("org/model").commit("main", next, Set.of("model.safetensors", "sub/dir/extra.bin"));
        fake.requests.clear();

        PullResult r = pull("org/model");
        assertThat(r.commit()).isEqualTo(second);
        assertThat(r.downloaded()).isEqualTo(1);
        assertThat(fake.downloads()).singleElement().extracting(FakeHub.Request::path).asString().endsWith("/config.json");
        assertThat(Files.readString(repoDir().resolve("refs/main"))).isEqualTo(second);
        assertThat(Files.readString(r.snapshot().resolve("config.json"))).contains("64");
        assertThat(repoDir().resolve("snapshots").resolve(commit).resolve("config.json")).exists();
    }

    @Test void aPinnedCommitWritesNoRefAndOtherRevisionsGetTheirOwn() throws IOException {
        PullResult pinned = pull("org/model@" + commit);
        assertThat(pinned.snapshot()).isEqualTo(repoDir().resolve("snapshots").resolve(commit));
        assertThat(repoDir().resolve("refs")).doesNotExist();

        String pr = fake.repo("org/model").commit("refs/pr/1", Map.of("config.json", new byte[] {'{', '}'}), Set.of());
        fake.repo("org/model").refs.put("v1.0", commit);
        assertThat(pull("org/model@refs/pr/1").commit()).isEqualTo(pr);
        assertThat(pull("org/model@v1.0").commit()).isEqualTo(commit);
        assertThat(Files.readString(repoDir().resolve("refs/refs/pr/1"))).isEqualTo(pr);
        assertThat(Files.readString(repoDir().resolve("refs/v1.0"))).isEqualTo(commit);
        assertThat(fake.requests).anyMatch(q -> q.path().equals("/api/models/org/model/revision/refs%2Fpr%2F1"));
    }

    @Test void aPartialDownloadIsResumedWithARangeRequest() throws IOException {
        byte[] model = files.get("model.safetensors");
        Path part = repoDir().resolve("blobs").resolve(FakeHub.sha256(model) + ".incomplete");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(model, 123_456));

        PullResult r = hub(null).pull(RepoRef.of("org/model"), new RepoFilter(List.of("model.safetensors"), List.of()));
        assertThat(Files.readAllBytes(r.snapshot().resolve("model.safetensors"))).isEqualTo(model);
        assertThat(fake.requests("cdn")).singleElement().extracting(FakeHub.Request::range).isEqualTo("bytes=123456-");
        assertThat(r.bytes()).isEqualTo(model.length - 123_456);
        assertThat(part).doesNotExist();
    }

    @Test void aServerThatIgnoresTheRangeMakesTheDownloadStartOver() throws IOException {
        byte[] model = files.get("model.safetensors");
        Path part = repoDir().resolve("blobs").resolve(FakeHub.sha256(model) + ".incomplete");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(model, 1000));
        fake.ignoreRange.add("model.safetensors");

        PullResult r = hub(null).pull(RepoRef.of("org/model"), new RepoFilter(List.of("*.safetensors"), List.of()));
        assertThat(Files.readAllBytes(r.snapshot().resolve("model.safetensors"))).isEqualTo(model);
    }

    @Test void aDroppedConnectionIsResumedWhereItBrokeAndTheResultVerifies() throws IOException {
        fake.dropAfter.put("model.safetensors", 50_000);
        fake.dropAfter.put("config.json", 5);
        PullResult r = pull("org/model");
        assertThat(Files.readAllBytes(r.snapshot().resolve("model.safetensors"))).isEqualTo(files.get("model.safetensors"));
        assertThat(Files.readAllBytes(r.snapshot().resolve("config.json"))).isEqualTo(files.get("config.json"));
        assertThat(fake.requests("cdn").stream().filter(q -> q.path().endsWith(FakeHub.sha256(files.get("model.safetensors")))))
                .extracting(FakeHub.Request::range).containsExactly(null, "bytes=50000-");
        assertThat(fake.downloads().stream().filter(q -> q.path().endsWith("config.json")))
                .extracting(FakeHub.Request::range).containsExactly(null, "bytes=5-");
    }

    @Test void aStalledConnectionIsDroppedAndResumed() throws IOException {
        fake.stallAfter.put("model.safetensors", 10_000);
        long t0 = System.nanoTime();
        PullResult r = hub(null).pull(RepoRef.of("org/model"), new RepoFilter(List.of("model.safetensors"), List.of()));
        assertThat(Files.readAllBytes(r.snapshot().resolve("model.safetensors"))).isEqualTo(files.get("model.safetensors"));
        assertThat(fake.requests("cdn")).extracting(FakeHub.Request::range).containsExactly(null, "bytes=10000-");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));   // not the server's 3 s stall
    }

    @Test void aCorruptedBodyFailsItsChecksumAndNothingHalfDoneStays() {
        fake.corrupt.add("model.safetensors");
        String sha = FakeHub.sha256(files.get("model.safetensors"));
        assertThatThrownBy(() -> pull("org/model")).isInstanceOf(HubException.class)
                .hasMessageContaining("org/model@" + commit + " file 'model.safetensors': sha256 mismatch: expected " + sha)
                .hasMessageContaining("discarded");
        assertThat(repoDir().resolve("snapshots").resolve(commit).resolve("model.safetensors")).doesNotExist();
        assertThat(repoDir().resolve("blobs").resolve(sha)).doesNotExist();
        assertThat(repoDir().resolve("blobs").resolve(sha + ".incomplete")).doesNotExist();
        // the ref would claim a complete snapshot
        assertThat(repoDir().resolve("refs/main")).doesNotExist();
    }

    @Test void aCorruptedGitFileFailsItsBlobSha1() {
        fake.corrupt.add("config.json");
        assertThatThrownBy(() -> pull("org/model")).hasMessageContaining("file 'config.json': git blob sha1 mismatch: expected "
                + FakeHub.gitSha1(files.get("config.json")));
        assertThat(repoDir().resolve("snapshots").resolve(commit).resolve("config.json")).doesNotExist();
    }

    @Test void filesDownloadSideBySide() throws IOException {
        fake.holdUntilParallel = 3;
        pull("org/model");
        assertThat(fake.maxInFlight.get()).isGreaterThanOrEqualTo(3);
    }

    @Test void includeAndExcludeAreFnmatchGlobsOverTheWholePath() throws IOException {
        PullResult r = hub(null).pull(RepoRef.of("org/model"), new RepoFilter(List.of("*.json", "sub/"), List.of("tokenizer*")));
        assertThat(tree(r.snapshot())).containsExactly("config.json", "sub/dir/extra.bin");
        assertThat(r.files()).isEqualTo(2);
        assertThatThrownBy(() -> hub(null).pull(RepoRef.of("org/model"), new RepoFilter(List.of("*.gguf"), List.of())))
                .hasMessage("org/model@main: none of its 5 files matches --include *.gguf");
    }

    @Test void theTokenGoesToTheHubThroughARelativeRedirectButNeverToTheCdn() throws IOException {
        fake.rename("old-org/model", "org/model");
        PullResult r = hub("hf_secret").pull(RepoRef.of("old-org/model"), RepoFilter.ALL);
        assertThat(r.snapshot()).startsWith(cache.resolve("models--old-org--model"));
        assertThat(Files.readAllBytes(r.snapshot().resolve("model.safetensors"))).isEqualTo(files.get("model.safetensors"));
        // five HEADs and the GETs of the two non-empty git files (the empty README needs no GET)
        assertThat(fake.requests("hub")).filteredOn(q -> q.path().startsWith("/org/model/resolve/")).hasSize(7)
                .allMatch(q -> "Bearer hf_secret".equals(q.authorization()));
        assertThat(fake.requests("cdn")).isNotEmpty().allMatch(q -> q.authorization() == null);
    }

    @Test void aGatedRepositorySaysSoWithAndWithoutAToken() throws IOException {
        fake.repo("org/model").gated = true;
        assertThatThrownBy(() -> pull("org/model")).isInstanceOf(HubException.class)
                .hasMessage("org/model is a gated repository: accept its conditions at " + fake.endpoint()
                        + "/org/model and set HF_TOKEN to an access token of that account (HTTP 401)");
        assertThatThrownBy(() -> hub("hf_other").pull(RepoRef.of("org/model"), RepoFilter.ALL))
                .hasMessageContaining("gated").hasMessageContaining("has not been granted access").hasMessageContaining("HTTP 403");
        assertThat(hub("hf_granted").pull(RepoRef.of("org/model"), RepoFilter.ALL).files()).isEqualTo(5);
        assertThat(fake.requests("cdn")).allMatch(q -> q.authorization() == null);
    }

    @Test void anUnknownRepositoryIsNamedAndA401WithoutCodeIsEither() {
        assertThatThrownBy(() -> pull("org/missing")).isInstanceOf(HubException.class)
                .hasMessage("no repository org/missing on " + fake.endpoint() + " (HTTP 401); if it is private, set HF_TOKEN to an access token that can read it");
        assertThatThrownBy(() -> hub("hf_x").pull(RepoRef.of("org/missing"), RepoFilter.ALL))
                .hasMessageContaining("no repository org/missing").hasMessageContaining("HTTP 404").hasMessageContaining("HF_TOKEN has no access");
        fake.bareErrors = true;
        assertThatThrownBy(() -> pull("org/missing"))
                .hasMessage("org/missing: the repository does not exist, or it is gated or private and needs HF_TOKEN (HTTP 401)");
    }

    @Test void anUnknownRevisionOrAVanishedFileIsNamed() {
        assertThatThrownBy(() -> pull("org/model@nope"))
                .hasMessageStartingWith("org/model has no revision 'nope' (HTTP 404)");
        fake.vanished.add("tokenizer.json");
        assertThatThrownBy(() -> pull("org/model"))
                .hasMessageStartingWith("org/model@" + commit + " has no file 'tokenizer.json' (HTTP 404)");
        assertThat(repoDir().resolve("refs/main")).doesNotExist();
    }

    @Test void busyAnswersAreRetriedThenReported() throws IOException {
        fake.unavailable.set(2);
        assertThat(pull("org/model").files()).isEqualTo(5);
        fake.unavailable.set(100);
        assertThatThrownBy(() -> pull("org/model")).hasMessageContaining("org/model@main: HTTP 503 from GET " + fake.endpoint()
                + "/api/models/org/model/revision/main");
    }

    @Test void anUnreachableHubIsNamed() throws IOException {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Hub h = new Hub(new HubSettings(java.net.URI.create("http://127.0.0.1:" + port), Optional.empty(), cache, false), FAST,
                notes::add, DownloadProgress.NONE);
        assertThatThrownBy(() -> h.pull(RepoRef.of("org/model"), RepoFilter.ALL))
                .hasMessage("cannot reach http://127.0.0.1:" + port + " (connection refused)");
    }

    @Test void aListingThatWouldLeaveTheSnapshotIsRefused() throws IOException {
        fake.repo("org/evil").commit("main", Map.of("../../escape", new byte[] {1}), Set.of());
        assertThatThrownBy(() -> pull("org/evil")).hasMessageContaining("'../../escape' is not a valid repository file path");
        assertThat(tree(tmp)).isEmpty();
    }

    @Test void oneGgufFileOfARepositoryIsPulledAloneWithTheTokenizerBesideIt() throws IOException {
        Map<String, byte[]> quants = new LinkedHashMap<>();
        quants.put("README.md", new byte[0]);
        quants.put("tokenizer.json", "{\"model\": {}}".getBytes(StandardCharsets.UTF_8));
        quants.put("model-Q4_0.gguf", random(200_000, 3));
        quants.put("model-Q8_0.gguf", random(300_000, 4));
        quants.put("big/model-F16-00001-of-00002.gguf", random(1_000, 5));
        String sha = fake.repo("org/model-GGUF").commit("main", quants, Set.of("model-Q4_0.gguf", "model-Q8_0.gguf"));

        HubFile ref = HubFile.parse("org/model-GGUF/model-Q4_0.gguf").orElseThrow();
        Path f = hub(null).file(ref);
        Path snapshot = cache.resolve("models--org--model-GGUF/snapshots").resolve(sha);
        assertThat(f).isEqualTo(snapshot.resolve("model-Q4_0.gguf"));
        assertThat(Files.readAllBytes(f)).isEqualTo(quants.get("model-Q4_0.gguf"));
        assertThat(tree(snapshot)).containsExactly("model-Q4_0.gguf", "tokenizer.json");
        assertThat(fake.downloads()).noneMatch(q -> q.path().contains("Q8_0") || q.path().contains("README"));

        // again: from the cache, nothing downloaded; offline too
        int before = fake.downloads().size();
        assertThat(hub(null).file(ref)).isEqualTo(f);
        assertThat(new Hub(settings(null).withOffline(true), FAST, notes::add, DownloadProgress.NONE).file(ref)).isEqualTo(f);
        assertThat(fake.downloads()).hasSize(before);

        // a file in a folder, at a revision; a file the repository lacks is named
        assertThat(HubFile.parse("org/model-GGUF/big/model-F16-00001-of-00002.gguf@" + sha).orElseThrow().path())
                .isEqualTo("big/model-F16-00001-of-00002.gguf");
        assertThatThrownBy(() -> hub(null).file(HubFile.parse("org/model-GGUF/model-Q5_K_M.gguf").orElseThrow()))
                .hasMessageContaining("org/model-GGUF").hasMessageContaining("model-Q5_K_M.gguf");
        assertThat(HubFile.parse("org/model-GGUF")).isEmpty();
        assertThat(HubFile.parse("org/model-GGUF/../x.gguf")).isEmpty();
        assertThat(RepoRef.parse("org/model-GGUF/model-Q4_0.gguf")).as("not a repository reference").isEmpty();
    }

    @Test void aQuantizationTagNamesTheOneGgufFileThatCarriesIt() throws IOException {
        Map<String, byte[]> quants = new LinkedHashMap<>();
        for (String name : List.of("m-Q4_0.gguf", "m-Q4_K_M.gguf", "m-Q4_K_S.gguf", "mmproj-m-Q4_K_M.gguf",
                "split/m-Q8_0-00001-of-00002.gguf", "split/m-Q8_0-00002-of-00002.gguf", "README.md"))
            quants.put(name, random(1_000 + name.length(), name.hashCode()));
        String sha = fake.repo("org/m-GGUF").commit("main", quants, Set.of());
        Path snapshot = cache.resolve("models--org--m-GGUF/snapshots").resolve(sha);

        HubQuant q = HubQuant.parse("org/m-GGUF:q4_k_m").orElseThrow();
        assertThat(hub(null).file(q)).as("case aside, not the projector").isEqualTo(snapshot.resolve("m-Q4_K_M.gguf"));
        assertThat(tree(snapshot)).containsExactly("m-Q4_K_M.gguf");
        assertThat(new Hub(settings(null).withOffline(true), FAST, notes::add, DownloadProgress.NONE).file(q))
                .isEqualTo(snapshot.resolve("m-Q4_K_M.gguf"));

        assertThatThrownBy(() -> hub(null).file(HubQuant.parse("org/m-GGUF:Q4_K").orElseThrow()))
                .as("a tag is a whole word").hasMessageContaining("no GGUF file is named Q4_K").hasMessageContaining("m-Q4_K_S.gguf");
        assertThatThrownBy(() -> hub(null).file(HubQuant.parse("org/m-GGUF:Q8_0").orElseThrow()))
                .hasMessageContaining("several GGUF files are named Q8_0").hasMessageContaining("split/m-Q8_0-00001-of-00002.gguf");
        assertThat(HubQuant.parse("org/m-GGUF:Q4_0@" + sha).orElseThrow().repo().revision()).isEqualTo(sha);
        assertThat(HubQuant.parse("org/m-GGUF")).isEmpty();
    }

    @Test void offlineModeAnswersFromTheCacheOnly() throws IOException {
        Hub offline = new Hub(settings(null).withOffline(true), FAST, notes::add, DownloadProgress.NONE);
        assertThatThrownBy(() -> offline.pull(RepoRef.of("org/model"), RepoFilter.ALL)).isInstanceOf(HubException.class)
                .hasMessage("org/model@main is not in the Hugging Face cache (" + cache + ") and HF_HUB_OFFLINE is set, so it cannot be"
                        + " downloaded; unset HF_HUB_OFFLINE and run `unmask pull org/model` first");
        assertThat(fake.requests).isEmpty();

        pull("org/model");
        fake.requests.clear();
        PullResult r = offline.pull(RepoRef.of("org/model"), RepoFilter.ALL);
        assertThat(r.fromCache()).isTrue();
        assertThat(r.snapshot()).isEqualTo(repoDir().resolve("snapshots").resolve(commit));
        assertThat(offline.pull(RepoRef.of("org/model@" + commit), RepoFilter.ALL).snapshot()).isEqualTo(r.snapshot());
        assertThatThrownBy(() -> offline.pull(RepoRef.of("org/model@dev"), RepoFilter.ALL)).hasMessageContaining("unmask pull org/model@dev");
        assertThat(fake.requests).isEmpty();
    }

    @Test void aBrokenLinkIsReplacedAndIdenticalFilesShareOneDownload() throws IOException {
        Path snap = Files.createDirectories(repoDir().resolve("snapshots").resolve(commit));
        Files.createSymbolicLink(snap.resolve("config.json"), Path.of("../../blobs/deleted-by-someone"));
        byte[] same = "{\"same\": true}".getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> next = new LinkedHashMap<>(files);
        next.put("a.json", same);
        next.put("copy/a.json", same);
        String second = fake.repo("org/model").commit("main", next, Set.of("model.safetensors", "sub/dir/extra.bin"));
        pull("org/model@" + commit);
        assertThat(Files.readAllBytes(snap.resolve("config.json"))).isEqualTo(files.get("config.json"));
        fake.requests.clear();

        PullResult r = pull("org/model");
        assertThat(r.commit()).isEqualTo(second);
        assertThat(fake.downloads()).hasSize(1);   // a.json and copy/a.json: one blob
        assertThat(Files.readAllBytes(r.snapshot().resolve("copy/a.json"))).isEqualTo(same);
        assertThat(r.snapshot().resolve("a.json").toRealPath()).isEqualTo(r.snapshot().resolve("copy/a.json").toRealPath());
    }

    @Test void aModelIsTakenFromTheCacheWhenCompleteAndPulledWhenNot() throws IOException {
        Hub online = hub(null), offline = new Hub(settings(null).withOffline(true), FAST, notes::add, DownloadProgress.NONE);
        online.pull(RepoRef.of("org/model"), new RepoFilter(List.of("config.json"), List.of()));   // a partial snapshot
        assertThatThrownBy(() -> offline.model(RepoRef.of("org/model"))).isInstanceOf(HubException.class)
                .hasMessageContaining("has no model.safetensors").hasMessageContaining("HF_HUB_OFFLINE");

        Path dir = online.model(RepoRef.of("org/model"));
        assertThat(dir).isEqualTo(repoDir().resolve("snapshots").resolve(commit));
        assertThat(tree(dir)).containsExactly("README.md", "config.json", "model.safetensors", "tokenizer.json");   // no *.bin

        fake.requests.clear();
        assertThat(online.model(RepoRef.of("org/model"))).isEqualTo(dir);
        assertThat(offline.model(RepoRef.of("org/model"))).isEqualTo(dir);
        assertThat(fake.requests).isEmpty();
    }

    @Test void anUnwritableCacheIsNamed() throws IOException {
        Files.createDirectories(cache);
        Files.writeString(cache.resolve("models--org--model"), "a file where the repository folder belongs");
        assertThatThrownBy(() -> pull("org/model")).isInstanceOf(HubException.class)
                .hasMessageStartingWith("org/model@main: cannot write the Hugging Face cache at " + cache.resolve("models--org--model"))
                .hasMessageEndingWith("; set HF_HOME or HF_HUB_CACHE to a writable folder");
    }

    @Test void aCdnRefusalIsNotMistakenForTheRepositorys() {
        fake.expired.add("model.safetensors");
        assertThatThrownBy(() -> pull("org/model")).hasMessageStartingWith("org/model@" + commit
                + " file 'model.safetensors': HTTP 403 from GET http://127.0.0.1:").hasMessageContaining("/lfs/")
                .hasMessageContaining("link may have expired").hasMessageNotContaining("Signature");
    }
}
