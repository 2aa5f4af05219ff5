package org.unmask.serve;

import java.time.Duration;

/**
 * Load test of the server with the fake engine on loopback (test-scope main):
 * {@code ServeBenchMain CLIENTS SECONDS STEP_DELAY_MS MAX_BATCH}. Heap figures are read after a GC request.
 */
public final class ServeBenchMain {
    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        long stepDelay = args.length > 2 ? Long.parseLong(args[2]) : 0;
        int maxBatch = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        FakeEngine engine = new FakeEngine("The quick brown fox jumps over the lazy dog.", maxBatch, stepDelay);
        try (UnmaskServer server = UnmaskServer.start(engine, ChatTemplates.llada(),
                new ServerOptions("127.0.0.1", 0, 64, maxBatch, 1 << 20))) {
            String body = "{\"prompt\":\"Hello\",\"max_tokens\":64,\"steps\":64,\"block_length\":64,\"seed\":1}";
            LoadTest.run(server.url(), "/v1/completions", body, clients, Duration.ofSeconds(2));   // warm-up
            System.gc();
            LoadTest.Report r = LoadTest.run(server.url(), "/v1/completions", body, clients, Duration.ofSeconds(seconds));
            System.gc();
            Runtime rt = Runtime.getRuntime();
            System.out.println("step delay " + stepDelay + " ms, max batch " + maxBatch + ": " + r.format()
                    + String.format(java.util.Locale.ROOT, ", heap after GC %.1f MiB", (rt.totalMemory() - rt.freeMemory()) / 1048576.0));
        }
    }
}
