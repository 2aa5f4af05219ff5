package org.unmask.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded load generator for a running server: {@code clients} virtual threads post the same completion request
 * back to back for a fixed time; reports throughput, latency percentiles, errors and the server's heap (from
 * {@code /health}) before and after.
 */
public final class LoadTest {

    /** Figures of one run; latencies in milliseconds, heap in bytes (-1 when the server does not report it). */
    public record Report(int clients, double seconds, long requests, long errors, double requestsPerSecond,
                         double p50Ms, double p99Ms, double maxMs, long heapBefore, long heapAfter,
                         long batchesRun, long requestsRun) {

        /** One line per figure, for humans. */
        public String format() {
            return String.format(Locale.ROOT, "clients %d, %.1f s: %d requests, %.1f req/s, p50 %.1f ms, p99 %.1f ms,"
                    + " max %.1f ms, errors %d, heap before %.1f MiB, after %.1f MiB, mean batch %.2f",
                    clients, seconds, requests, requestsPerSecond, p50Ms, p99Ms, maxMs, errors,
                    heapBefore / 1048576.0, heapAfter / 1048576.0, batchesRun == 0 ? 0.0 : (double) requestsRun / batchesRun);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private LoadTest() {}

    /** Runs {@code clients} loops posting {@code body} to {@code baseUrl + path} for {@code duration}. */
    public static Report run(String baseUrl, String path, String body, int clients, Duration duration)
            throws IOException, InterruptedException {
        if (clients < 1) throw new IllegalArgumentException("clients must be at least 1: " + clients);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        JsonNode before = health(http, baseUrl);
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        List<long[]> perClient = new ArrayList<>();
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                perClient.add(new long[0]);
                int slot = c;
                pool.submit(() -> {
                    long[] lat = new long[1024];
                    int n = 0;
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        try {
                            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) { errors.incrementAndGet(); continue; }
                        } catch (IOException | InterruptedException e) {
                            errors.incrementAndGet();
                            continue;
                        }
                        if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
                        lat[n++] = System.nanoTime() - t0;
                    }
                    long[] mine = Arrays.copyOf(lat, n);
                    synchronized (perClient) { perClient.set(slot, mine); }
                });
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] all;
        synchronized (perClient) { all = perClient.stream().flatMapToLong(Arrays::stream).sorted().toArray(); }
        JsonNode after = health(http, baseUrl);
        return new Report(clients, seconds, all.length, errors.get(), all.length / seconds,
                percentile(all, 0.50), percentile(all, 0.99), all.length == 0 ? 0 : all[all.length - 1] / 1e6,
                before.path("heap_used_bytes").asLong(-1), after.path("heap_used_bytes").asLong(-1),
                after.path("batches_run").asLong() - before.path("batches_run").asLong(),
                after.path("requests_run").asLong() - before.path("requests_run").asLong());
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    private static JsonNode health(HttpClient http, String baseUrl) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException(baseUrl + "/health answered " + r.statusCode());
        return JSON.readTree(r.body());
    }

    /** {@code LoadTest URL CLIENTS SECONDS [BODY]}: load a running server (e.g. one started by {@code unmask serve}). */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: LoadTest URL CLIENTS SECONDS [JSON-BODY]");
            System.exit(2);
        }
        String body = args.length > 3 ? args[3] : "{\"prompt\":\"Hello\",\"max_tokens\":32,\"steps\":32,\"block_length\":32}";
        Report r = run(args[0], "/v1/completions", body, Integer.parseInt(args[1]),
                Duration.ofSeconds(Long.parseLong(args[2])));
        System.out.println(r.format());
    }
}
