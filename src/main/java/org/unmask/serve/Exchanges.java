package org.unmask.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Reading capped request bodies and writing JSON and OpenAI-style errors on an exchange. */
final class Exchanges {

    static final ObjectMapper JSON = new ObjectMapper();

    private Exchanges() {}

    /**
     * The request body, or a 413 error as soon as it is known to exceed {@code maxBytes}: from Content-Length
     * before reading, else after reading at most {@code maxBytes + 1} bytes (a chunked body is never buffered whole).
     */
    static byte[] readBody(HttpExchange ex, int maxBytes) throws IOException {
        String len = ex.getRequestHeaders().getFirst("Content-Length");
        if (len != null) {
            long declared;
            try {
                declared = Long.parseLong(len.trim());
            } catch (NumberFormatException e) {
                throw ApiError.invalid("Content-Length is not a number: '" + len + "'.", null);
            }
            if (declared > maxBytes) throw tooLarge(declared, maxBytes);
        }
        InputStream in = ex.getRequestBody();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int total = 0;
        for (int r; (r = in.read(buf, 0, Math.min(buf.length, maxBytes + 1 - total))) > 0; ) {
            out.write(buf, 0, r);
            total += r;
            if (total > maxBytes) throw tooLarge(-1, maxBytes);
        }
        return out.toByteArray();
    }

    private static ApiError tooLarge(long declared, int maxBytes) {
        return new ApiError(413, "invalid_request_error", "The request body"
                + (declared >= 0 ? " (" + declared + " bytes)" : "") + " exceeds the limit of " + maxBytes
                + " bytes.", null, "request_too_large");
    }

    /** Sends {@code body} as a JSON response. */
    static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    /** The OpenAI error object of {@code e}. */
    static ObjectNode errorBody(ApiError e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        err.put("param", e.param());
        err.put("code", e.code());
        return root;
    }

    /** Sends {@code e} as an OpenAI error response. */
    static void sendError(HttpExchange ex, ApiError e) throws IOException {
        sendJson(ex, e.status(), errorBody(e));
    }
}
