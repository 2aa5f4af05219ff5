package org.unmask.serve;

import org.unmask.text.ChatTemplate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP server: OpenAI-compatible {@code /v1/models}, {@code /v1/completions}, {@code /v1/chat/completions},
 * the per-step {@code /v1/unmask/stream}, {@code /health} and the page at {@code /}, on the JDK HttpServer with a
 * virtual thread per exchange. Every exchange catches everything, so no input can take the server down.
 */
public final class UnmaskServer implements AutoCloseable {

    private static final Set<String> POST_PATHS = Set.of("/v1/completions", "/v1/chat/completions", "/v1/unmask/stream");
    private static final Set<String> GET_PATHS = Set.of("/v1/models", "/health");

    private final GenerationEngine engine;
    private final ServerOptions options;
    private final GenerationQueue queue;
    private final RequestParser parser;
    private final GenerationHandler generation;
    private final HttpServer http;
    private final ExecutorService executor;
    private final long started = System.currentTimeMillis() / 1000;

    private UnmaskServer(GenerationEngine engine, ChatTemplate template, ServerOptions options) throws IOException {
        this.engine = engine;
        this.options = options;
        this.queue = new GenerationQueue(engine, options.queueSize(), options.maxBatch());
        this.parser = new RequestParser(engine, template);
        this.generation = new GenerationHandler(engine, queue);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 128);
        http.setExecutor(executor);
        http.createContext("/", this::exchange);
    }

    /** Binds and starts a server over {@code engine}, rendering chat requests with {@code template}. */
    public static UnmaskServer start(GenerationEngine engine, ChatTemplate template, ServerOptions options)
            throws IOException {
        UnmaskServer s = new UnmaskServer(engine, template, options);
        s.http.start();
        return s;
    }

    /** The bound port (useful with port 0). */
    public int port() { return http.getAddress().getPort(); }

    /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
    public String url() { return "http://" + http.getAddress().getHostString() + ":" + port(); }

    /** The generation queue (for statistics). */
    public GenerationQueue queue() { return queue; }

    private void exchange(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (ApiError e) {
                Exchanges.sendError(ex, e);
            } catch (IOException e) {
                // the client went away mid-response; nothing can be sent
            } catch (RuntimeException | Error e) {
                Exchanges.sendError(ex, new ApiError(500, "server_error", "Internal error: "
                        + (e.getMessage() == null ? e.toString() : e.getMessage()), null, null));
            }
        } catch (Throwable ignored) {
            // the response was already under way when something failed; the connection is closed
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        if (POST_PATHS.contains(path)) {
            if (!method.equals("POST")) throw methodNotAllowed(ex, method, path, "POST");
            byte[] body = Exchanges.readBody(ex, options.maxBodyBytes());
            ParsedRequest.Endpoint endpoint = switch (path) {
                case "/v1/completions" -> ParsedRequest.Endpoint.COMPLETIONS;
                case "/v1/chat/completions" -> ParsedRequest.Endpoint.CHAT;
                default -> ParsedRequest.Endpoint.UNMASK;
            };
            generation.handle(ex, parser.parse(body, endpoint));
        } else if (GET_PATHS.contains(path) || WebAssets.has(path)) {
            if (!method.equals("GET")) throw methodNotAllowed(ex, method, path, "GET");
            if (path.equals("/v1/models")) Exchanges.sendJson(ex, 200, models());
            else if (path.equals("/health")) Exchanges.sendJson(ex, 200, health());
            else sendAsset(ex, path);
        } else {
            throw new ApiError(404, "invalid_request_error", "Unknown request URL: " + method + " " + path
                    + ". Endpoints: GET /v1/models, POST /v1/completions, POST /v1/chat/completions,"
                    + " POST /v1/unmask/stream, GET /health, GET /.", null, "unknown_url");
        }
    }

    private static ApiError methodNotAllowed(HttpExchange ex, String method, String path, String allowed) {
        ex.getResponseHeaders().set("Allow", allowed);
        return new ApiError(405, "invalid_request_error", "Method " + method + " is not allowed on " + path
                + "; use " + allowed + ".", null, "method_not_allowed");
    }

    private ObjectNode models() {
        ObjectNode root = Exchanges.JSON.createObjectNode();
        root.put("object", "list");
        ObjectNode m = root.putArray("data").addObject();
        m.put("id", engine.modelId());
        m.put("object", "model");
        m.put("created", started);
        m.put("owned_by", "unmask");
        return root;
    }

    private ObjectNode health() {
        ObjectNode h = Exchanges.JSON.createObjectNode();
        h.put("status", "ok");
        h.put("model", engine.modelId());
        h.put("queued", queue.waiting());
        h.put("queue_capacity", options.queueSize());
        h.put("max_batch", Math.min(options.maxBatch(), engine.maxBatchSize()));
        h.put("max_gen_length", engine.maxGenLength());
        h.put("batches_run", queue.batchesRun());
        h.put("requests_run", queue.jobsRun());
        Runtime rt = Runtime.getRuntime();
        h.put("heap_used_bytes", rt.totalMemory() - rt.freeMemory());
        return h;
    }

    private static void sendAsset(HttpExchange ex, String path) throws IOException {
        byte[] bytes = WebAssets.bytes(path);
        ex.getResponseHeaders().set("Content-Type", WebAssets.contentType(path));
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    /** Stops accepting requests, cancels waiting ones and stops the worker. */
    @Override public void close() {
        http.stop(0);
        queue.close();
        executor.shutdownNow();
    }
}
