package org.unmask.serve;

/** One chat turn: a role ({@code system}, {@code user}, {@code assistant}) and its text. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (role == null || role.isBlank()) throw new IllegalArgumentException("message role is empty");
        if (content == null) throw new IllegalArgumentException("message content is null");
    }
}
