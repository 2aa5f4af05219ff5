package org.unmask.cli;

import org.unmask.serve.EngineLoader;
import org.unmask.serve.GenerationEngine;
import org.unmask.serve.ServerOptions;
import org.unmask.serve.UnmaskServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code unmask serve}: the OpenAI-compatible HTTP API and the live unmasking page. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a model: OpenAI-compatible /v1/models, /v1/completions and /v1/chat/completions,"
                + " the per-step stream /v1/unmask/stream, /health, and a live unmasking page at /.")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV] (see pull).")
    Path model;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}; use 0.0.0.0 to accept remote clients).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free).")
    int port;

    @Option(names = "--queue-size", defaultValue = "64",
            description = "Requests that may wait for the model; more get 503 (default: ${DEFAULT-VALUE}).")
    int queueSize;

    @Option(names = "--max-batch", defaultValue = "8",
            description = "Most waiting requests of the same shape generated as one batch (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-body-bytes", defaultValue = "1048576",
            description = "Largest request body; larger ones get 413 (default: ${DEFAULT-VALUE}).")
    int maxBodyBytes;

    private final EngineLoader loader;
    private final PrintStream out;

    public ServeCommand() { this(null, System.out); }

    /** A command using {@code loader} (null: the model directory's checkpoint and tokenizer, see {@link ModelDirs#engine}). */
    ServeCommand(EngineLoader loader, PrintStream out) {
        this.loader = loader != null ? loader : dir -> ModelDirs.engine(dir, maxBatch);
        this.out = out;
    }

    @Override public Integer call() throws Exception {
        ServerOptions options = new ServerOptions(host, port, queueSize, maxBatch, maxBodyBytes);
        GenerationEngine engine = loader.load(model);
        UnmaskServer server = UnmaskServer.start(engine, engine.chatTemplate(), options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        out.println("unmask: serving " + engine.modelId() + " on " + server.url()
                + "  (page: " + server.url() + "/, OpenAI API: " + server.url() + "/v1)");
        out.flush();
        stopped.await();
        return 0;
    }
}
