package org.unmask.serve;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A server-sent-events response: {@code data: <json>\n\n} frames flushed one by one, ending with
 * {@code data: [DONE]\n\n} as OpenAI's streams do. A failed write means the client went away.
 */
final class SseStream {

    private final OutputStream out;

    /** Sends the 200 event-stream headers (chunked body). */
    SseStream(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.getResponseHeaders().set("X-Accel-Buffering", "no");
        ex.sendResponseHeaders(200, 0);
        this.out = ex.getResponseBody();
    }

    /** Writes one {@code data:} frame of a JSON value and flushes it to the client. */
    void data(Object json) throws IOException {
        write("data: " + Exchanges.JSON.writeValueAsString(json) + "\n\n");
    }

    /** Writes the final {@code data: [DONE]} frame. */
    void done() throws IOException { write("data: [DONE]\n\n"); }

    /** Writes an SSE comment line (ignored by clients), used to notice a vanished client while waiting. */
    void comment(String text) throws IOException { write(": " + text + "\n\n"); }

    private void write(String frame) throws IOException {
        out.write(frame.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
