package org.unmask.serve;

import java.util.List;

/**
 * Follows the settled answer text of one request as steps arrive and decides what may be shown: text up to the
 * first stop string, never a tail that could still grow into a stop string or an unfinished UTF-8 character.
 * Not thread-safe; one per request.
 */
public final class AnswerTracker {

    private final List<String> stop;
    private String visible = "";
    private int sent;
    private boolean stoppedByString;
    private boolean ended;
    private boolean done;

    /** A tracker cutting at the first of {@code stop} (may be empty). */
    public AnswerTracker(List<String> stop) { this.stop = stop; }

    /**
     * Takes the settled text so far; {@code endToken} says the answer reached an EOS/EoT, {@code last} that no more
     * text will come. Returns the newly showable text (possibly empty).
     */
    public String update(String settled, boolean endToken, boolean last) {
        if (done) return "";
        int cut = -1;
        for (String s : stop) {
            int i = settled.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        String shown;
        if (cut >= 0) {
            shown = settled.substring(0, cut);
            stoppedByString = true;
            done = true;
        } else if (endToken || last) {
            shown = settled;
            ended = endToken;
            done = true;
        } else {
            shown = settled.substring(0, settled.length() - heldBack(settled));
        }
        String delta = shown.length() > sent && shown.startsWith(visible) ? shown.substring(sent) : "";
        if (shown.length() > sent) {
            visible = shown;
            sent = shown.length();
        }
        return delta;
    }

    /** Characters at the end that must wait: a prefix of a stop string, or an unfinished multi-byte character. */
    private int heldBack(String text) {
        int hold = 0;
        while (hold < text.length() && text.charAt(text.length() - 1 - hold) == '\uFFFD') hold++;
        for (String s : stop) {
            for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--) {
                if (text.endsWith(s.substring(0, k))) { hold = k; break; }
            }
        }
        return hold;
    }

    /** True once a stop string or an end token was seen, or the last update was taken. */
    public boolean done() { return done; }

    /** The text shown so far (the whole answer once done). */
    public String text() { return visible; }

    /** OpenAI finish reason once done: "stop" for a stop string or end token, "length" otherwise. */
    public String finishReason() { return stoppedByString || ended ? "stop" : "length"; }

    /** True when the answer was cut at a stop string. */
    public boolean stoppedByString() { return stoppedByString; }
}
