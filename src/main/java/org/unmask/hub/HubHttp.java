package org.unmask.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP to the Hub with its one security rule: the token goes to the endpoint's host and nowhere else. Redirects are
 * followed here, not by the client, so that a redirect on the Hub (a renamed repository) keeps the token and one to
 * another host (the CDN that serves LFS files) drops it for good.
 */
final class HubHttp implements AutoCloseable {
    private static final int MAX_REDIRECTS = 10;
    private static final String USER_AGENT = "unmask/0.1.0; java/" + Runtime.version().feature();

    private final HttpClient client;
    private final HubSettings settings;
    private final TransferOptions options;

    HubHttp(HubSettings settings, TransferOptions options) {
        this.settings = settings;
        this.options = options;
        // HTTP/1.1: parallel downloads then use one connection each, as the Python tools do
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(options.connectTimeout()).build();
    }

    /** An answer whose body is open until closed. */
    record Answer(int status, HttpHeaders headers, URI uri, InputStream body) implements AutoCloseable {
        Optional<String> header(String name) { return headers.firstValue(name); }

        @Override public void close() {
            try {
                body.close();
            } catch (IOException ignored) {
                // closing only releases the connection; there is nothing left to read or report
            }
        }
    }

    /** Whether the token may be sent to {@code uri}: the same scheme, host and port as the endpoint. */
    boolean onHub(URI uri) { return sameOrigin(settings.endpoint(), uri); }

    /** Same scheme, host and port. */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    /**
     * Sends {@code method} to {@code uri} and follows redirects on the Hub's host. A redirect to another host is
     * returned as it is when {@code leaveHub} is false (a HEAD reads the LFS headers from it); otherwise it is
     * followed without the token, which is never sent again in this exchange.
     */
    Answer exchange(String method, URI uri, Map<String, String> headers, boolean leaveHub) throws IOException {
        boolean sendToken = true;
        for (int hop = 0; ; hop++) {
            sendToken &= onHub(uri);
            Answer a = send(method, uri, headers, sendToken);
            Optional<String> location = a.header("Location");
            if (a.status() < 300 || a.status() > 399 || location.isEmpty()) return a;
            URI next;
            try {
                next = uri.resolve(location.get().strip());
            } catch (IllegalArgumentException e) {
                a.close();
                throw new HubException(method + " " + redact(uri) + " redirects to an invalid URL '" + location.get() + "'");
            }
            if (next.getScheme() == null || !next.getScheme().matches("(?i)https?")) {
                a.close();
                throw new HubException(method + " " + redact(uri) + " redirects to " + redact(next) + ", which is not http(s)");
            }
            if (!onHub(next) && !leaveHub) return a;
            a.close();
            if (hop >= MAX_REDIRECTS) throw new HubException("more than " + MAX_REDIRECTS + " redirects from " + redact(uri));
            uri = next;
        }
    }

    private Answer send(String method, URI uri, Map<String, String> headers, boolean withToken) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(options.answerTimeout()).header("User-Agent", USER_AGENT)
                // byte ranges must count bytes of the file itself, never of a compressed transfer
                .header("Accept-Encoding", "identity");
        headers.forEach(b::header);
        if (withToken) settings.token().ifPresent(t -> b.header("Authorization", "Bearer " + t));
        try {
            HttpResponse<InputStream> r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            return new Answer(r.statusCode(), r.headers(), uri, r.body());
        } catch (HttpTimeoutException e) {
            throw HubException.transientFailure("no answer from " + uri.getHost() + " within "
                    + options.answerTimeout().toSeconds() + " s (" + method + " " + redact(uri) + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during " + method + " " + redact(uri));
        } catch (IOException e) {
            throw HubException.transientFailure("cannot reach " + uri.getScheme() + "://" + uri.getAuthority()
                    + " (" + describe(e) + ")", e);
        }
    }

    /** Runs {@code call}, again after transient failures (with growing pauses), up to the configured retries. */
    <T> T retrying(IoCall<T> call) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                return call.run();
            } catch (HubException e) {
                if (!e.retryable() || attempt >= options.retries()) throw e;
                pause(attempt + 1);
            }
        }
    }

    /** Waits before retry number {@code attempt}. */
    void pause(int attempt) throws InterruptedIOException {
        try {
            Thread.sleep(options.delayBefore(attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }

    /** An I/O step that may be retried. */
    @FunctionalInterface
    interface IoCall<T> { T run() throws IOException; }

    /** {@code uri} without its query, which for a CDN URL is a signature that does not belong in messages. */
    static String redact(URI uri) {
        String s = uri.toString();
        int q = s.indexOf('?');
        return q < 0 ? s : s.substring(0, q);
    }

    /** A connection failure in words: the JDK's connect errors often carry no message, only their type. */
    static String describe(IOException e) {
        String message = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException) return "unknown host";
            if (t instanceof java.net.http.HttpConnectTimeoutException) return "connection timed out";
            if (message == null && t.getMessage() != null && !t.getMessage().isBlank()) message = t.getMessage();
        }
        if (message != null) return message;
        return e instanceof java.net.ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) return u.getPort();
        return "https".equals(u.getScheme().toLowerCase(Locale.ROOT)) ? 443 : 80;
    }

    // nothing is in flight when a pull ends, and an orderly close would wait for any body a failure left unread
    @Override public void close() { client.shutdownNow(); }
}
