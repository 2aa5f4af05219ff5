package org.unmask.serve;

import org.unmask.text.ChatTemplate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End to end in headless Chromium, driven over the DevTools protocol (JDK WebSocket): load the page, type a prompt,
 * press the button, watch the canvas fill step by step, check the final canvas and take a screenshot
 * (target/serve-webpage.png).
 *
 * <p>Where Chromium is missing the test is skipped with a message naming the package to install, except under CI
 * (environment variable {@code CI=true}), where a missing browser fails it. {@code UNMASK_CHROMIUM} names the browser
 * executable and replaces the search (set it to a path that does not exist to check the missing-browser paths).
 */
class WebPageBrowserTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String ANSWER = "Masked tokens turn into text, step by step.";

    static final String INSTALL_HINT = "install it with 'apt-get install -y chromium' (Debian/Ubuntu), or point"
            + " UNMASK_CHROMIUM at a Chromium or Chrome executable";

    /** The browser executable, or empty when none is found. */
    static Optional<Path> findChromium(Map<String, String> env) {
        String override = env.get("UNMASK_CHROMIUM");
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (Files.isExecutable(Path.of(c))) return Optional.of(Path.of(c));
        }
        for (String d : env.getOrDefault("PATH", "").split(":")) {
            if (d.isEmpty()) continue;
            for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
                Path p = Path.of(d, name);
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The browser; skips the test when there is none, or fails it under CI (CI=true), where it must run. */
    static Path chromium() {
        Map<String, String> env = System.getenv();
        Optional<Path> found = findChromium(env);
        if (found.isPresent()) return found.get();
        String where = env.containsKey("UNMASK_CHROMIUM") ? "UNMASK_CHROMIUM=" + env.get("UNMASK_CHROMIUM")
                + " is not an executable" : "no chromium, chromium-browser or google-chrome in /usr/bin or on PATH";
        if ("true".equalsIgnoreCase(env.getOrDefault("CI", "").strip())) {
            throw new AssertionError("Chromium is required for the web page test under CI (CI=true) and was not found ("
                    + where + "); " + INSTALL_HINT);
        }
        return Assumptions.abort("skipped: the web page test needs Chromium, and " + where + "; " + INSTALL_HINT);
    }

    /** A minimal DevTools client: numbered commands, replies matched by id. */
    static final class DevTools implements WebSocket.Listener, AutoCloseable {
        final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        final AtomicInteger ids = new AtomicInteger();
        final StringBuilder partial = new StringBuilder();
        WebSocket ws;

        DevTools(HttpClient http, String url) {
            ws = http.newWebSocketBuilder().buildAsync(URI.create(url), this).join();
        }

        JsonNode call(String method, Map<String, Object> params) throws Exception {
            int id = ids.incrementAndGet();
            ObjectNode msg = JSON.createObjectNode();
            msg.put("id", id);
            msg.put("method", method);
            msg.set("params", JSON.valueToTree(params));
            CompletableFuture<JsonNode> f = new CompletableFuture<>();
            pending.put(id, f);
            ws.sendText(JSON.writeValueAsString(msg), true).join();
            JsonNode reply = f.get(30, TimeUnit.SECONDS);
            if (reply.has("error")) throw new AssertionError(method + " failed: " + reply.get("error"));
            return reply.get("result");
        }

        /** Evaluates a JavaScript expression in the page and returns its JSON value. */
        JsonNode eval(String js) throws Exception {
            JsonNode r = call("Runtime.evaluate", Map.of("expression", js, "returnByValue", true, "awaitPromise", true));
            if (r.has("exceptionDetails")) throw new AssertionError("page script failed: " + r.get("exceptionDetails"));
            return r.get("result").get("value");
        }

        @Override public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode n = JSON.readTree(partial.toString());
                    if (n.has("id")) {
                        CompletableFuture<JsonNode> f = pending.remove(n.get("id").asInt());
                        if (f != null) f.complete(n);
                    }
                } catch (Exception e) {
                    pending.values().forEach(f -> f.completeExceptionally(e));
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override public void close() { ws.abort(); }
    }

    @Test void pageUnmasksAPromptLive() throws Exception {
        Path browser = chromium();
        FakeEngine engine = new FakeEngine(ANSWER, 8, 25);
        Path profile = Files.createTempDirectory("unmask-chromium");
        Process chrome = null;
        try (UnmaskServer server = UnmaskServer.start(engine, ChatTemplate.llada(),
                new ServerOptions("127.0.0.1", 0, 8, 8, 1 << 20))) {
            chrome = new ProcessBuilder(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--user-data-dir=" + profile, "--remote-debugging-port=0",
                    "--window-size=1200,900", "about:blank")
                    .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
            Path portFile = profile.resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.isRegularFile(portFile) || Files.readAllLines(portFile).isEmpty()) {
                if (!chrome.isAlive()) throw new AssertionError("Chromium exited at start:\n"
                        + Files.readString(profile.resolve("chromium.log")));
                if (System.nanoTime() > deadline) throw new AssertionError("Chromium did not open its DevTools port");
                Thread.sleep(50);
            }
            int port = Integer.parseInt(Files.readAllLines(portFile).getFirst().trim());
            HttpClient http = HttpClient.newHttpClient();
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body());
            String wsUrl = null;
            for (JsonNode t : targets) if (t.get("type").asText().equals("page")) wsUrl = t.get("webSocketDebuggerUrl").asText();
            assertThat(wsUrl).as("a page target in %s", targets).isNotNull();

            try (DevTools dt = new DevTools(http, wsUrl)) {
                dt.call("Page.enable", Map.of());
                dt.call("Page.navigate", Map.of("url", server.url() + "/"));
                waitFor(dt, "document.readyState === 'complete' && !!document.getElementById('run')", 30);
                dt.eval("document.getElementById('prompt').value = 'Show me the unmasking';"
                        + "document.getElementById('gen_length').value = '64';"
                        + "document.getElementById('steps').value = '32';"
                        + "document.getElementById('block_length').value = '32';"
                        + "document.getElementById('run').click(); true");
                // watch it fill: at some moment part of the canvas is revealed and part still masked
                boolean sawPartial = false;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < end) {
                    JsonNode s = dt.eval("({state: document.body.dataset.state,"
                            + " total: document.querySelectorAll('#canvas .tok').length,"
                            + " masked: document.querySelectorAll('#canvas .tok.masked').length})");
                    int total = s.get("total").asInt(), masked = s.get("masked").asInt();
                    if (total == 64 && masked > 0 && masked < 64) sawPartial = true;
                    if (s.get("state").asText().equals("done")) break;
                    assertThat(s.get("state").asText()).isNotEqualTo("error");
                    Thread.sleep(20);
                }
                assertThat(dt.eval("document.body.dataset.state").asText()).isEqualTo("done");
                assertThat(sawPartial).as("the canvas was seen partly unmasked").isTrue();
                assertThat(dt.eval("document.querySelectorAll('#canvas .tok').length").asInt()).isEqualTo(64);
                assertThat(dt.eval("document.querySelectorAll('#canvas .tok.masked').length").asInt()).isZero();
                assertThat(dt.eval("document.getElementById('answer').textContent").asText()).isEqualTo(ANSWER);
                // every token coloured by its reveal step: 32 steps, 2 reveals each
                JsonNode steps = dt.eval("Array.from(document.querySelectorAll('#canvas .tok')).map(s => Number(s.dataset.step))");
                assertThat(steps).hasSize(64);
                java.util.Map<Integer, Integer> perStep = new java.util.TreeMap<>();
                for (JsonNode s : steps) perStep.merge(s.asInt(), 1, Integer::sum);
                assertThat(perStep).hasSize(32).allSatisfy((k, v) -> assertThat(v).isEqualTo(2));
                assertThat(dt.eval("new Set(Array.from(document.querySelectorAll('#canvas .tok'))"
                        + ".map(s => s.style.backgroundColor)).size").asInt()).isGreaterThan(8);
                String shot = dt.call("Page.captureScreenshot", Map.of("format", "png")).get("data").asText();
                byte[] png = Base64.getDecoder().decode(shot);
                assertThat(png).startsWith(0x89, 'P', 'N', 'G');
                Path out = Path.of("target", "serve-webpage.png");
                Files.createDirectories(out.getParent());
                Files.write(out, png);
            }
        } finally {
            if (chrome != null) {
                // Chromium's helper processes outlive the browser process and keep writing into the profile
                var helpers = chrome.descendants().toList();
                chrome.destroy();
                if (!chrome.waitFor(10, TimeUnit.SECONDS)) chrome.destroyForcibly();
                for (ProcessHandle h : helpers) h.destroyForcibly();
                for (ProcessHandle h : helpers) h.onExit().get(10, TimeUnit.SECONDS);
            }
            deleteProfile(profile);
        }
    }

    /** Deletes the browser's scratch profile; a file that vanishes during the walk is not an error of the page. */
    private static void deleteProfile(Path profile) throws java.io.IOException {
        for (int attempt = 0; attempt < 3 && Files.exists(profile); attempt++) {
            try (var files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException vanished) {
                // a helper removed its temporary file between listing and visiting: walk again
            }
        }
    }

    static void waitFor(DevTools dt, String condition, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!dt.eval("!!(" + condition + ")").asBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting for " + condition);
            Thread.sleep(50);
        }
    }
}
