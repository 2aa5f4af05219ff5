package org.unmask.serve;

import org.unmask.text.ChatTemplate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP API over a deterministic fake engine: every endpoint, every error case, SSE framing, queueing. */
class ServerHttpTest {

    static final String ANSWER = "The quick brown fox jumps over the lazy dog.";
    static final ObjectMapper JSON = new ObjectMapper();

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    FakeEngine engine;
    UnmaskServer server;

    UnmaskServer start(FakeEngine e, int queueSize, int maxBatch, int maxBody) throws Exception {
        engine = e;
        server = UnmaskServer.start(e, ChatTemplate.llada(), new ServerOptions("127.0.0.1", 0, queueSize, maxBatch, maxBody));
        return server;
    }

    UnmaskServer start() throws Exception { return start(new FakeEngine(ANSWER, 8, 0), 16, 8, 4096); }

    @AfterEach void stop() { if (server != null) server.close(); }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception { return JSON.readTree(r.body()); }

    /** Asserts an OpenAI error body and returns it. */
    static JsonNode assertError(HttpResponse<String> r, int status, String param, String messagePart) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode err = json(r).get("error");
        assertThat(err).as(r.body()).isNotNull();
        assertThat(err.fieldNames()).toIterable().containsExactlyInAnyOrder("message", "type", "param", "code");
        if (status < 500) assertThat(err.get("type").asText()).isEqualTo("invalid_request_error");
        if (param == null) assertThat(err.get("param").isNull()).isTrue();
        else assertThat(err.get("param").asText()).isEqualTo(param);
        assertThat(err.get("message").asText()).containsIgnoringCase(messagePart);
        return err;
    }

    // ---- happy paths ---------------------------------------------------------------------------------------

    @Test void modelsListsTheServedModel() throws Exception {
        start();
        HttpResponse<String> r = get("/v1/models");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode b = json(r);
        assertThat(b.get("object").asText()).isEqualTo("list");
        assertThat(b.get("data")).hasSize(1);
        assertThat(b.get("data").get(0).get("id").asText()).isEqualTo("fake-llada");
        assertThat(b.get("data").get(0).get("object").asText()).isEqualTo("model");
        assertThat(b.get("data").get(0).get("owned_by").isTextual()).isTrue();
    }

    @Test void healthReportsQueue() throws Exception {
        start();
        JsonNode h = json(get("/health"));
        assertThat(h.get("status").asText()).isEqualTo("ok");
        assertThat(h.get("queue_capacity").asInt()).isEqualTo(16);
        assertThat(h.get("queued").asInt()).isZero();
    }

    @Test void completionEndsAtTheEndTokenWithUsage() throws Exception {
        start();
        HttpResponse<String> r = post("/v1/completions",
                "{\"model\":\"fake-llada\",\"prompt\":\"Say it:\",\"max_tokens\":64,\"steps\":64,\"block_length\":16,\"seed\":3}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode b = json(r);
        assertThat(b.get("id").asText()).startsWith("cmpl-");
        assertThat(b.get("object").asText()).isEqualTo("text_completion");
        assertThat(b.get("created").asLong()).isGreaterThan(1_600_000_000L);
        assertThat(b.get("model").asText()).isEqualTo("fake-llada");
        JsonNode c = b.get("choices").get(0);
        assertThat(c.get("index").asInt()).isZero();
        assertThat(c.get("text").asText()).isEqualTo(ANSWER);
        assertThat(c.get("finish_reason").asText()).isEqualTo("stop");
        JsonNode u = b.get("usage");
        assertThat(u.get("prompt_tokens").asInt()).isEqualTo("Say it:".length());
        assertThat(u.get("completion_tokens").asInt()).isEqualTo(ANSWER.length());
        assertThat(u.get("total_tokens").asInt()).isEqualTo("Say it:".length() + ANSWER.length());
        // the answer ended in block 3 of 4: the reverse process stopped early instead of running all 64 steps
        assertThat(engine.forwardPasses.get()).isEqualTo(48);
    }

    @Test void completionCutAtLengthSaysLength() throws Exception {
        start();
        JsonNode b = json(post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":16,\"steps\":8,\"block_length\":8}"));
        assertThat(b.get("choices").get(0).get("text").asText()).isEqualTo(ANSWER.substring(0, 16));
        assertThat(b.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        assertThat(b.get("usage").get("completion_tokens").asInt()).isEqualTo(16);
    }

    @Test void stopStringsCutTheText() throws Exception {
        start();
        JsonNode one = json(post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":64,\"stop\":\"fox\"}"));
        assertThat(one.get("choices").get(0).get("text").asText()).isEqualTo("The quick brown ");
        assertThat(one.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        JsonNode many = json(post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":64,\"stop\":[\"lazy\",\"jumps\"]}"));
        assertThat(many.get("choices").get(0).get("text").asText()).isEqualTo("The quick brown fox ");
        assertThat(many.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
    }

    @Test void chatCompletionUsesTheTemplate() throws Exception {
        start();
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"fake-llada\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Hi there\"}],\"max_tokens\":64,\"temperature\":0.7,\"seed\":1,\"steps\":32,\"block_length\":32}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode b = json(r);
        assertThat(b.get("id").asText()).startsWith("chatcmpl-");
        assertThat(b.get("object").asText()).isEqualTo("chat.completion");
        JsonNode c = b.get("choices").get(0);
        assertThat(c.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(c.get("message").get("content").asText()).isEqualTo(ANSWER);
        assertThat(c.get("finish_reason").asText()).isEqualTo("stop");
        String templated = "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        int expectedPrompt = new CharTokenizer().encode(templated, false).length;
        assertThat(b.get("usage").get("prompt_tokens").asInt()).isEqualTo(expectedPrompt);
    }

    @Test void chatAcceptsTextContentParts() throws Exception {
        start();
        HttpResponse<String> r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"text\",\"text\":\"Hi\"}]}],\"max_tokens\":64}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("choices").get(0).get("message").get("content").asText()).isEqualTo(ANSWER);
    }

    // ---- streams -------------------------------------------------------------------------------------------

    private static final Pattern FRAME = Pattern.compile("data: [^\\n]+\\n\\n");

    /** Splits an SSE body into its data payloads, asserting the exact framing OpenAI SDKs parse. */
    static List<String> frames(String body) {
        List<String> out = new ArrayList<>();
        var m = FRAME.matcher(body);
        int at = 0;
        while (m.find()) {
            assertThat(m.start()).as("unexpected bytes between frames at %d in %s", at, body).isEqualTo(at);
            out.add(body.substring(m.start() + 6, m.end() - 2));
            at = m.end();
        }
        assertThat(at).as("trailing bytes after the last frame").isEqualTo(body.length());
        assertThat(out).isNotEmpty();
        assertThat(out.getLast()).isEqualTo("[DONE]");
        return out.subList(0, out.size() - 1);
    }

    @Test void completionStreamSendsBlocksThenFinishThenDone() throws Exception {
        start();
        HttpResponse<String> r = post("/v1/completions",
                "{\"prompt\":\"x\",\"max_tokens\":64,\"steps\":8,\"block_length\":8,\"stream\":true}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<String> frames = frames(r.body());
        StringBuilder text = new StringBuilder();
        String id = null;
        for (int i = 0; i < frames.size(); i++) {
            JsonNode c = JSON.readTree(frames.get(i));
            assertThat(c.get("object").asText()).isEqualTo("text_completion");
            if (id == null) id = c.get("id").asText();
            assertThat(c.get("id").asText()).isEqualTo(id);
            JsonNode choice = c.get("choices").get(0);
            text.append(choice.get("text").asText());
            if (i < frames.size() - 1) assertThat(choice.get("finish_reason").isNull()).isTrue();
            else assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        }
        assertThat(text.toString()).isEqualTo(ANSWER);
        // one step per block of 8: text arrives block by block, each block's 8 characters in one chunk
        JsonNode first = JSON.readTree(frames.getFirst());
        assertThat(first.get("choices").get(0).get("text").asText()).isEqualTo(ANSWER.substring(0, 8));
        assertThat(frames.size()).isEqualTo((ANSWER.length() + 7) / 8 + 1);
    }

    @Test void chatStreamStartsWithRoleAndCanReportUsage() throws Exception {
        start();
        HttpResponse<String> r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"max_tokens\":64,\"block_length\":16,\"stream\":true,\"stop\":\"lazy\","
                + "\"stream_options\":{\"include_usage\":true}}");
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> frames = frames(r.body());
        JsonNode first = JSON.readTree(frames.getFirst());
        assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String f : frames) {
            JsonNode c = JSON.readTree(f);
            assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk");
            if (c.get("choices").isEmpty()) { usage = c.get("usage"); continue; }
            JsonNode ch = c.get("choices").get(0);
            if (ch.get("delta").has("content")) text.append(ch.get("delta").get("content").asText());
            if (!ch.get("finish_reason").isNull()) finish = ch.get("finish_reason").asText();
        }
        assertThat(text.toString()).isEqualTo("The quick brown fox jumps over the ");
        assertThat(finish).isEqualTo("stop");
        assertThat(usage).isNotNull();
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo("The quick brown fox jumps over the ".length());
        assertThat(JSON.readTree(frames.getLast()).get("usage")).isNotNull();
    }

    @Test void unmaskStreamSendsEveryStep() throws Exception {
        start();
        HttpResponse<String> r = post("/v1/unmask/stream",
                "{\"prompt\":\"x\",\"max_tokens\":64,\"steps\":32,\"block_length\":32,\"seed\":9}");
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> frames = frames(r.body().replace(": waiting\n\n", ""));
        JsonNode start = JSON.readTree(frames.getFirst());
        assertThat(start.get("type").asText()).isEqualTo("start");
        assertThat(start.get("gen_length").asInt()).isEqualTo(64);
        assertThat(start.get("mask").asText()).isEqualTo("<|mdm_mask|>");
        int[] revealedAt = new int[64];
        java.util.Arrays.fill(revealedAt, -1);
        JsonNode lastStep = null;
        int stepEvents = 0;
        for (String f : frames.subList(1, frames.size() - 1)) {
            JsonNode s = JSON.readTree(f);
            assertThat(s.get("type").asText()).isEqualTo("step");
            assertThat(s.get("step").asInt()).isEqualTo(stepEvents++);
            assertThat(s.get("tokens")).hasSize(64);
            for (JsonNode p : s.get("revealed")) {
                assertThat(revealedAt[p.asInt()]).isEqualTo(-1);
                revealedAt[p.asInt()] = s.get("step").asInt();
                assertThat(s.get("tokens").get(p.asInt()).isNull()).isFalse();
            }
            int masked = 0;
            for (JsonNode t : s.get("tokens")) if (t.isNull()) masked++;
            assertThat(masked).isEqualTo((int) java.util.Arrays.stream(revealedAt).filter(x -> x < 0).count());
            lastStep = s;
        }
        assertThat(stepEvents).isEqualTo(32);
        assertThat(revealedAt).doesNotContain(-1);
        // 2 tokens per step: the first block is done at step 15, the second starts at step 16
        assertThat(revealedAt[0]).isBetween(0, 15);
        assertThat(revealedAt[63]).isBetween(16, 31);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < ANSWER.length(); i++) text.append(lastStep.get("tokens").get(i).asText());
        assertThat(text.toString()).isEqualTo(ANSWER);
        assertThat(lastStep.get("tokens").get(ANSWER.length()).asText()).isEqualTo("<|eot_id|>");
        JsonNode done = JSON.readTree(frames.getLast());
        assertThat(done.get("type").asText()).isEqualTo("done");
        assertThat(done.get("text").asText()).isEqualTo(ANSWER);
        assertThat(done.get("finish_reason").asText()).isEqualTo("stop");
    }

    @Test void webPageAndAssetsAreServedWithoutExternalLinks() throws Exception {
        start();
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(page.body()).contains("id=\"canvas\"", "id=\"prompt\"", "id=\"gen_length\"", "id=\"steps\"",
                "id=\"block_length\"", "id=\"temperature\"", "id=\"threshold\"", "/app.js", "/style.css");
        HttpResponse<String> js = get("/app.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.body()).contains("/v1/unmask/stream");
        assertThat(get("/style.css").statusCode()).isEqualTo(200);
        for (String body : List.of(page.body(), js.body(), get("/style.css").body()))
            assertThat(body).doesNotContain("http://", "https://", "//cdn");
    }

    // ---- errors --------------------------------------------------------------------------------------------

    @Test void malformedRequestsGetNamedErrors() throws Exception {
        start();
        assertError(post("/v1/completions", "{\"prompt\": \"x\""), 400, null, "parse the JSON");
        assertError(post("/v1/completions", "[1,2]"), 400, null, "JSON object");
        assertError(post("/v1/completions", ""), 400, null, "empty");
        assertError(post("/v1/completions", "{\"model\":\"gpt-4\",\"prompt\":\"x\"}"), 404, "model", "gpt-4");
        assertError(post("/v1/completions", "{\"model\":7,\"prompt\":\"x\"}"), 400, "model", "string");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":\"ten\"}"), 400, "max_tokens", "integer");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1.5}"), 400, "max_tokens", "integer");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"temperature\":\"hot\"}"), 400, "temperature", "number");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"stream\":\"yes\"}"), 400, "stream", "boolean");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"seed\":\"s\"}"), 400, "seed", "integer");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"stop\":5}"), 400, "stop", "string");
        assertError(post("/v1/completions", "{\"prompt\":{\"a\":1}}"), 400, "prompt", "string");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"remasking\":\"best\"}"), 400, "remasking", "low_confidence");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"n\":2}"), 400, "n", "n=1");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"threshold\":1.5}"), 400, "threshold", "(0, 1]");
        assertError(post("/v1/completions", "{\"max_tokens\":8}"), 400, "prompt", "prompt");
        assertError(post("/v1/chat/completions", "{\"prompt\":\"x\"}"), 400, "messages", "messages");
        assertError(post("/v1/chat/completions", "{\"messages\":\"hi\"}"), 400, "messages", "array");
        assertError(post("/v1/chat/completions", "{\"messages\":[]}"), 400, "messages", "at least one");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"content\":\"hi\"}]}"), 400, "messages[0].role", "role");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":3}]}"), 400,
                "messages[0].content", "string");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"steps\":0}"), 400, "steps", "positive");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"steps\":-4}"), 400, "steps", "positive");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":0}"), 400, "max_tokens", "positive");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1000}"), 400, "max_tokens", "limit of 256");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"max_completion_tokens\":512}"), 400, "max_completion_tokens", "limit");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":64,\"block_length\":24}"), 400,
                "block_length", "max_tokens (64) must be a multiple of block_length (24)");
        assertError(post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":64,\"block_length\":16,\"steps\":10}"),
                400, "steps", "steps (10) must be a multiple of the number of blocks (4");
        assertError(post("/v1/completions", "{\"prompt\":\"" + "y".repeat(900) + "\",\"max_tokens\":200}"), 400,
                "prompt", "context");
        assertError(post("/v1/unmask/stream", "{\"steps\":0}"), 400, "prompt", "prompt");
        assertError(post("/v1/unmask/stream", "{\"prompt\":\"x\",\"steps\":3,\"max_tokens\":64,\"block_length\":32}"),
                400, "steps", "multiple of the number of blocks");
        // the server is still healthy after all of that
        assertThat(get("/health").statusCode()).isEqualTo(200);
        assertThat(engine.forwardPasses.get()).isZero();
    }

    @Test void aFailingEngineGivesA500AndTheServerGoesOn() throws Exception {
        start(new FakeEngine(ANSWER, 8, 0) {
            @Override public java.util.List<GenerationResult> generateBatch(java.util.List<GenerationJob> jobs) {
                if (jobs.getFirst().request().config().seed() == 13) throw new IllegalStateException("model exploded");
                return super.generateBatch(jobs);
            }
        }, 4, 1, 4096);
        JsonNode err = assertError(post("/v1/completions", "{\"prompt\":\"x\",\"seed\":13}"), 500, null, "model exploded");
        assertThat(err.get("type").asText()).isEqualTo("server_error");
        HttpResponse<String> stream = post("/v1/completions", "{\"prompt\":\"x\",\"seed\":13,\"stream\":true}");
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.body()).startsWith("data: {\"error\":").contains("model exploded").endsWith("\n\n");
        HttpResponse<String> ok = post("/v1/completions", "{\"prompt\":\"x\",\"seed\":1}");
        assertThat(json(ok).get("choices").get(0).get("text").asText()).isEqualTo(ANSWER);
    }

    @Test void unknownPathIs404AndWrongMethodIs405() throws Exception {
        start();
        assertError(get("/v1/nothing"), 404, null, "/v1/nothing");
        assertError(post("/v2/completions", "{}"), 404, null, "unknown");
        HttpResponse<String> m = get("/v1/completions");
        assertError(m, 405, null, "not allowed");
        assertThat(m.headers().firstValue("Allow")).hasValue("POST");
        assertError(get("/v1/chat/completions"), 405, null, "POST");
        assertError(post("/v1/models", "{}"), 405, null, "GET");
        assertError(post("/health", "{}"), 405, null, "GET");
        HttpResponse<String> del = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/"))
                .method("DELETE", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertError(del, 405, null, "DELETE");
    }

    @Test void oversizedBodiesGet413WithAndWithoutContentLength() throws Exception {
        start();
        String big = "{\"prompt\":\"" + "z".repeat(10_000) + "\"}";
        assertError(post("/v1/completions", big), 413, null, "4096 bytes");
        // chunked upload: no Content-Length, the cap is found while reading
        byte[] bytes = big.getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(chunked, 413, null, "exceeds the limit");
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    // ---- concurrency ---------------------------------------------------------------------------------------

    static void waitFor(java.util.function.BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    CompletableFuture<HttpResponse<String>> postAsync(String path, String body) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test void fullQueueAnswers503() throws Exception {
        FakeEngine e = new FakeEngine(ANSWER, 1, 0);
        e.gate = new Semaphore(0);
        start(e, 2, 1, 4096);
        String body = "{\"prompt\":\"x\",\"max_tokens\":16}";
        var running = postAsync("/v1/completions", body);
        waitFor(() -> e.batchSizes.size() == 0 && server.queue().waiting() == 0 && server.queue().batchesRun() == 1,
                "the worker to take the first request");
        var w1 = postAsync("/v1/completions", body);
        var w2 = postAsync("/v1/completions", body);
        waitFor(() -> server.queue().waiting() == 2, "two waiting requests");
        JsonNode err = assertError(post("/v1/completions", body), 503, null, "busy");
        assertThat(err.get("type").asText()).isEqualTo("server_error");
        assertThat(err.get("code").asText()).isEqualTo("queue_full");
        e.gate.release(3);
        for (var f : List.of(running, w1, w2)) {
            HttpResponse<String> r = f.get();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(json(r).get("choices").get(0).get("text").asText()).isEqualTo(ANSWER.substring(0, 16));
        }
    }

    @Test void compatibleWaitingRequestsRunAsOneBatch() throws Exception {
        FakeEngine e = new FakeEngine(ANSWER, 8, 0);
        e.gate = new Semaphore(0);
        start(e, 16, 8, 4096);
        String a = "{\"prompt\":\"x\",\"max_tokens\":64,\"steps\":64,\"block_length\":32}";
        String other = "{\"prompt\":\"x\",\"max_tokens\":64,\"steps\":32,\"block_length\":32}";
        var first = postAsync("/v1/completions", a);
        waitFor(() -> server.queue().batchesRun() == 1, "the worker to take the first request");
        List<CompletableFuture<HttpResponse<String>>> rest = new ArrayList<>();
        rest.add(postAsync("/v1/completions", a));
        rest.add(postAsync("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hey\"}],"
                + "\"max_tokens\":64,\"steps\":64,\"block_length\":32}"));
        waitFor(() -> server.queue().waiting() == 2, "two waiting requests");
        rest.add(postAsync("/v1/completions", other));
        waitFor(() -> server.queue().waiting() == 3, "three waiting requests");
        rest.add(postAsync("/v1/completions", a));
        waitFor(() -> server.queue().waiting() == 4, "four waiting requests");
        e.gate.release(10);
        assertThat(first.get().statusCode()).isEqualTo(200);
        for (var f : rest) {
            HttpResponse<String> r = f.get();
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode c = json(r).get("choices").get(0);
            assertThat(c.has("text") ? c.get("text").asText() : c.get("message").get("content").asText()).isEqualTo(ANSWER);
        }
        // first alone; then the three of shape (64, 64, 32) together; then the other shape
        assertThat(e.batchSizes).containsExactly(1, 3, 1);
    }

    /** Sends a raw HTTP/1.1 POST and returns the socket, so a test can vanish mid-stream. */
    Socket rawPost(String path, String body) throws Exception {
        Socket s = new Socket("127.0.0.1", server.port());
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        OutputStream os = s.getOutputStream();
        os.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        os.write(b);
        os.flush();
        return s;
    }

    static void readUntil(Socket s, String marker) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) if (line.contains(marker)) return;
        throw new AssertionError("stream ended before " + marker);
    }

    @Test void disconnectingFromTheUnmaskStreamCancelsTheGeneration() throws Exception {
        FakeEngine e = new FakeEngine(ANSWER, 8, 15);
        start(e, 4, 8, 4096);
        Socket s = rawPost("/v1/unmask/stream", "{\"prompt\":\"x\",\"max_tokens\":64,\"steps\":64,\"block_length\":64}");
        readUntil(s, "\"type\":\"step\"");
        s.close();
        waitFor(() -> !e.cancelledAtStep.isEmpty(), "the engine to see the cancellation");
        assertThat(e.cancelledAtStep.getFirst()).isLessThan(63);
        assertThat(e.completed.get()).isZero();
        // the worker is free again
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":16,\"steps\":16}");
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test void disconnectingFromAnOpenAiStreamCancelsTheGeneration() throws Exception {
        FakeEngine e = new FakeEngine("a".repeat(250), 8, 10);
        start(e, 4, 8, 4096);
        Socket s = rawPost("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"go\"}],"
                + "\"max_tokens\":256,\"steps\":256,\"block_length\":8,\"stream\":true,\"seed\":7}");
        readUntil(s, "\"content\":\"aaaaaaaa\"");
        s.close();
        waitFor(() -> !e.cancelledAtStep.isEmpty(), "the engine to see the cancellation");
        assertThat(e.cancelledAtStep.getFirst()).isLessThan(255);
        assertThat(e.completed.get()).isZero();
    }

    @Test void closingAnHttpClientStreamCancelsTheGeneration() throws Exception {
        FakeEngine e = new FakeEngine("b".repeat(250), 8, 10);
        start(e, 4, 8, 4096);
        HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"go\",\"max_tokens\":256,\"steps\":256,"
                        + "\"block_length\":8,\"stream\":true}")).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        assertThat(in.readLine()).startsWith("data: {").contains("\"text\":\"b");
        in.close();   // the SDK-style client goes away mid-stream
        waitFor(() -> !e.cancelledAtStep.isEmpty(), "the engine to see the cancellation");
        assertThat(e.cancelledAtStep.getFirst()).isLessThan(255);
        assertThat(e.completed.get()).isZero();
    }

    @Test void waitingRequestOfAGoneClientNeverRuns() throws Exception {
        FakeEngine e = new FakeEngine(ANSWER, 1, 0);
        e.gate = new Semaphore(0);
        start(e, 4, 1, 4096);
        var running = postAsync("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":16}");
        waitFor(() -> server.queue().batchesRun() == 1, "the worker to take the first request");
        Socket s = rawPost("/v1/unmask/stream", "{\"prompt\":\"x\",\"max_tokens\":16}");
        readUntil(s, "\"type\":\"start\"");
        s.close();
        // the stream writes keep-alive comments while waiting; the broken one cancels the queued job
        Thread.sleep(1200);
        e.gate.release(2);
        assertThat(running.get().statusCode()).isEqualTo(200);
        waitFor(() -> server.queue().waiting() == 0, "the queue to drain");
        Thread.sleep(100);
        assertThat(e.batchSizes).containsExactly(1);
    }
}
