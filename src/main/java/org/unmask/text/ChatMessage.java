package org.unmask.text;

/** One turn of a conversation: role {@code system}, {@code user} or {@code assistant}, and its text. */
public record ChatMessage(String role, String content) {

    /** Rejects a missing role or content with a message naming the field. */
    public ChatMessage {
        if (role == null || role.isBlank()) throw new IllegalArgumentException("message role is empty");
        if (content == null) throw new IllegalArgumentException("message content is null");
    }
}
