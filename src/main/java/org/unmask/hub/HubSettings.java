package org.unmask.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where the Hub and the cache are, read from the same environment variables as huggingface_hub so that both tools
 * agree: {@code HF_ENDPOINT}, {@code HF_TOKEN} (or the token file {@code huggingface-cli login} writes),
 * {@code HF_HUB_CACHE} / {@code HF_HOME}, {@code HF_HUB_OFFLINE}.
 *
 * @param endpoint the Hub or a mirror, without a trailing slash
 * @param token    the access token sent as {@code Authorization: Bearer} to the endpoint's host only
 * @param cache    the hub cache directory that holds the {@code models--ORG--NAME} folders
 * @param offline  resolve from the cache only, never touch the network
 */
public record HubSettings(URI endpoint, Optional<String> token, Path cache, boolean offline) {
    /** The public Hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private static final Set<String> TRUE = Set.of("1", "on", "yes", "true");

    public HubSettings {
        String e = endpoint.toString();
        if (e.endsWith("/")) endpoint = URI.create(e.substring(0, e.length() - 1));
        if (endpoint.getScheme() == null || endpoint.getHost() == null)
            throw new IllegalArgumentException("HF_ENDPOINT '" + e + "' is not an http(s) URL");
        token = token.map(String::strip).filter(t -> !t.isEmpty());
    }

    /** The settings of this process's environment. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** The settings an environment describes, with {@code home} as the user's home directory. */
    public static HubSettings fromEnvironment(Map<String, String> env, Path home) {
        Path hfHome = get(env, "HF_HOME").map(Path::of).orElseGet(() ->
                get(env, "XDG_CACHE_HOME").map(Path::of).orElse(home.resolve(".cache")).resolve("huggingface"));
        // HUGGINGFACE_HUB_CACHE and HUGGING_FACE_HUB_TOKEN are the older names huggingface_hub still reads
        Path cache = get(env, "HF_HUB_CACHE").or(() -> get(env, "HUGGINGFACE_HUB_CACHE")).map(Path::of)
                .orElse(hfHome.resolve("hub"));
        Optional<String> token = get(env, "HF_TOKEN").or(() -> get(env, "HUGGING_FACE_HUB_TOKEN"))
                .or(() -> readToken(get(env, "HF_TOKEN_PATH").map(Path::of).orElse(hfHome.resolve("token"))));
        boolean offline = get(env, "HF_HUB_OFFLINE").or(() -> get(env, "TRANSFORMERS_OFFLINE"))
                .map(v -> TRUE.contains(v.strip().toLowerCase(Locale.ROOT))).orElse(false);
        String endpoint = get(env, "HF_ENDPOINT").orElse(DEFAULT_ENDPOINT);
        try {
            return new HubSettings(URI.create(endpoint), token, cache, offline);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("HF_ENDPOINT '" + endpoint + "' is not an http(s) URL");
        }
    }

    /** The same settings with the cache only (as {@code HF_HUB_OFFLINE=1}) or not. */
    public HubSettings withOffline(boolean offline) { return new HubSettings(endpoint, token, cache, offline); }

    private static Optional<String> get(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).filter(v -> !v.isBlank());
    }

    private static Optional<String> readToken(Path file) {
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file).strip()) : Optional.empty();
        } catch (IOException e) {
            // an unreadable token file is the same as none: public repositories still work
            return Optional.empty();
        }
    }

    /** Never prints the token. */
    @Override public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", token=" + (token.isPresent() ? "set" : "none")
                + ", cache=" + cache + ", offline=" + offline + "]";
    }
}
