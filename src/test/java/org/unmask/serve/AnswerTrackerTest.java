package org.unmask.serve;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AnswerTrackerTest {

    @Test void deltasConcatenateToTheAnswer() {
        AnswerTracker t = new AnswerTracker(List.of());
        assertThat(t.update("Hel", false, false)).isEqualTo("Hel");
        assertThat(t.update("Hel", false, false)).isEmpty();
        assertThat(t.update("Hello wo", false, false)).isEqualTo("lo wo");
        assertThat(t.update("Hello world", true, false)).isEqualTo("rld");
        assertThat(t.done()).isTrue();
        assertThat(t.finishReason()).isEqualTo("stop");
        assertThat(t.update("Hello world and more", false, false)).isEmpty();
        assertThat(t.text()).isEqualTo("Hello world");
    }

    @Test void aPossibleStopPrefixIsHeldBackUntilDecided() {
        AnswerTracker t = new AnswerTracker(List.of("STOP"));
        assertThat(t.update("abc ST", false, false)).isEqualTo("abc ");
        assertThat(t.update("abc STx", false, false)).isEqualTo("STx");
        assertThat(t.update("abc STx S", false, false)).isEqualTo(" ");
        assertThat(t.update("abc STx STOP tail", false, false)).isEqualTo("");
        assertThat(t.done()).isTrue();
        assertThat(t.text()).isEqualTo("abc STx ");
        assertThat(t.stoppedByString()).isTrue();
        assertThat(t.finishReason()).isEqualTo("stop");
    }

    @Test void earliestOfSeveralStopStringsWins() {
        AnswerTracker t = new AnswerTracker(List.of("dog", "fox"));
        t.update("the fox and the dog", false, true);
        assertThat(t.text()).isEqualTo("the ");
    }

    @Test void unfinishedCharactersWaitAndLengthIsReported() {
        AnswerTracker t = new AnswerTracker(List.of());
        assertThat(t.update("caf\uFFFD", false, false)).isEqualTo("caf");
        assertThat(t.update("café", false, false)).isEqualTo("é");
        assertThat(t.update("café au lait", false, true)).isEqualTo(" au lait");
        assertThat(t.finishReason()).isEqualTo("length");
    }
}
