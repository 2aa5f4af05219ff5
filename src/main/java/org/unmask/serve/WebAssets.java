package org.unmask.serve;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** The visualisation page's files, read from the classpath (no network needed). */
final class WebAssets {

    private static final String BASE = "/org/unmask/serve/web/";

    /** URL path → resource name and content type. */
    private static final Map<String, String[]> FILES = Map.of(
            "/", new String[]{"index.html", "text/html; charset=utf-8"},
            "/index.html", new String[]{"index.html", "text/html; charset=utf-8"},
            "/app.js", new String[]{"app.js", "text/javascript; charset=utf-8"},
            "/style.css", new String[]{"style.css", "text/css; charset=utf-8"});

    private WebAssets() {}

    static boolean has(String path) { return FILES.containsKey(path); }

    static String contentType(String path) { return FILES.get(path)[1]; }

    static byte[] bytes(String path) throws IOException {
        String name = FILES.get(path)[0];
        try (InputStream in = WebAssets.class.getResourceAsStream(BASE + name)) {
            if (in == null) throw new IOException("web asset missing from the jar: " + BASE + name);
            return in.readAllBytes();
        }
    }
}
