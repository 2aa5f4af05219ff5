package org.unmask.serve;

/**
 * Server settings: bind address (loopback unless told otherwise), port (0 = any free one), how many requests may
 * wait for the engine, the most requests generated as one batch, and the request body cap in bytes.
 */
public record ServerOptions(String host, int port, int queueSize, int maxBatch, int maxBodyBytes) {

    public ServerOptions {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("host is empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in 0..65535: " + port);
        if (queueSize < 1) throw new IllegalArgumentException("queue size must be at least 1: " + queueSize);
        if (maxBatch < 1) throw new IllegalArgumentException("max batch must be at least 1: " + maxBatch);
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("max body bytes must be at least 1024: " + maxBodyBytes);
    }

    /** Loopback on 8080, 64 waiting requests, batches of up to 8, 1 MiB bodies. */
    public static ServerOptions defaults() { return new ServerOptions("127.0.0.1", 8080, 64, 8, 1 << 20); }

    /** The same options on another port. */
    public ServerOptions withPort(int p) { return new ServerOptions(host, p, queueSize, maxBatch, maxBodyBytes); }
}
