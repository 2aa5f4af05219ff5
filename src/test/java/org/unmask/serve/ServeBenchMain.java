package org.unmask.serve;

import org.unmask.text.ChatTemplate;
import org.unmask.diffusion.FakeDenoiser;

import java.time.Duration;

/**
 * Load test of the server on loopback (test-scope main):
 * {@code ServeBenchMain CLIENTS SECONDS STEP_DELAY_MS MAX_BATCH [fake|sampler]}. {@code fake} is the scripted
 * engine (step delay stands in for a forward pass); {@code sampler} is the real adapter and diffusion sampler over
 * the sampler's hash-logit test denoiser (vocabulary 4096). Heap figures are read after a GC request.
 */
public final class ServeBenchMain {
    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        long stepDelay = args.length > 2 ? Long.parseLong(args[2]) : 0;
        int maxBatch = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        String kind = args.length > 4 ? args[4] : "fake";
        GenerationEngine engine = switch (kind) {
            case "fake" -> new FakeEngine("The quick brown fox jumps over the lazy dog.", maxBatch, stepDelay);
            case "sampler" -> new LladaEngine("hash-denoiser", org.unmask.api.UnmaskModel.of(new FakeDenoiser(FakeDenoiser.config(4096, 512), 7, 40, 4f), java.util.Optional.of(new CharTokenizer())), maxBatch);
            default -> throw new IllegalArgumentException("engine must be fake or sampler: " + kind);
        };
        try (UnmaskServer server = UnmaskServer.start(engine, ChatTemplate.llada(),
                new ServerOptions("127.0.0.1", 0, 64, maxBatch, 1 << 20))) {
            String body = "{\"prompt\":\"Hello\",\"max_tokens\":64,\"steps\":64,\"block_length\":64,\"seed\":1}";
            LoadTest.run(server.url(), "/v1/completions", body, clients, Duration.ofSeconds(2));   // warm-up
            System.gc();
            LoadTest.Report r = LoadTest.run(server.url(), "/v1/completions", body, clients, Duration.ofSeconds(seconds));
            System.gc();
            Runtime rt = Runtime.getRuntime();
            System.out.println(kind + " engine, step delay " + stepDelay + " ms, max batch " + maxBatch + ": " + r.format()
                    + String.format(java.util.Locale.ROOT, ", heap after GC %.1f MiB", (rt.totalMemory() - rt.freeMemory()) / 1048576.0));
        }
    }
}
