package org.unmask.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The failure an HTTP answer stands for, in words naming what was asked. The Hub says what went wrong in an
 * {@code X-Error-Code} header ({@code GatedRepo}, {@code RepoNotFound}, {@code RevisionNotFound},
 * {@code EntryNotFound}); it answers 401 both for a gated repository and, to an anonymous caller, for one that does
 * not exist (it will not tell strangers which private repositories exist), so without that header a 401 can only be
 * reported as either.
 */
final class HubErrors {
    private HubErrors() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What was asked: a repository at a revision, and a file of it or none.
     */
    record Subject(String repoId, String revision, String file) {
        static Subject revision(RepoRef ref) { return new Subject(ref.repoId(), ref.revision(), null); }

        static Subject file(String repoId, String commit, String path) { return new Subject(repoId, commit, path); }

        String where() { return repoId + "@" + revision; }
    }

    /** The exception for a failed answer (status 300 or more), retryable for 429 and 5xx. */
    static HubException of(HubHttp.Answer a, String method, Subject s, HubSettings settings) {
        int status = a.status();
        String code = a.header("X-Error-Code").orElse("");
        String hubSays = a.header("X-Error-Message").or(() -> bodyError(a)).map(m -> " (Hub: " + m + ")").orElse("");
        boolean token = settings.token().isPresent();
        String page = settings.endpoint() + "/" + s.repoId();
        String http = " (HTTP " + status + ")";
        String what = s.file() == null ? s.where() : s.where() + " file '" + s.file() + "'";
        if (!HubHttp.sameOrigin(settings.endpoint(), a.uri())) {
            // the CDN an LFS download was sent to: its errors say nothing about the repository
            String message = what + ": HTTP " + status + " from " + method + " " + HubHttp.redact(a.uri())
                    + (status == 403 ? " (the signed download link may have expired; run the pull again to resume)" : "");
            return status == 429 || status >= 500 ? HubException.transientFailure(message, null) : new HubException(message);
        }
        if (code.equals("GatedRepo")) {
            return new HubException(token
                    ? s.repoId() + " is a gated repository and the account of HF_TOKEN has not been granted access: request it at " + page + http
                    : s.repoId() + " is a gated repository: accept its conditions at " + page + " and set HF_TOKEN to an access token of that account" + http);
        }
        if (code.equals("RepoNotFound")) {
            return new HubException("no repository " + s.repoId() + " on " + settings.endpoint() + http + (token
                    ? ", or HF_TOKEN has no access to it"
                    : "; if it is private, set HF_TOKEN to an access token that can read it"));
        }
        if (code.equals("RevisionNotFound")) {
            return new HubException(s.repoId() + " has no revision '" + s.revision() + "'" + http + hubSays);
        }
        if (status == 404 && s.file() == null) {
            return new HubException("no repository " + s.repoId() + " with a revision '" + s.revision() + "' on "
                    + settings.endpoint() + http + hubSays);
        }
        if (code.equals("EntryNotFound") || (status == 404 && s.file() != null)) {
            return new HubException(s.where() + " has no file '" + s.file() + "'" + http + hubSays);
        }
        if (status == 401) {
            return new HubException(token
                    ? s.repoId() + ": the Hub refused HF_TOKEN" + http + ": the token is invalid or expired, or the repository does not exist or is gated" + hubSays
                    : s.repoId() + ": the repository does not exist, or it is gated or private and needs HF_TOKEN" + http + hubSays);
        }
        if (status == 403) {
            return new HubException(s.repoId() + ": access forbidden" + http + (token ? "; HF_TOKEN may lack the read permission" : "") + hubSays);
        }
        String message = what + ": HTTP " + status + " from " + method + " " + HubHttp.redact(a.uri()) + hubSays;
        return status == 429 || status >= 500 ? HubException.transientFailure(message, null) : new HubException(message);
    }

    /** The {@code error} field of a small JSON error body, which the Hub sends when it has no header for it. */
    private static Optional<String> bodyError(HubHttp.Answer a) {
        try {
            byte[] bytes = a.body().readNBytes(4096);
            JsonNode node = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
            return node != null && node.path("error").isTextual() ? Optional.of(node.get("error").asText()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
