package org.unmask.train;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationParserTest {
    @Test void readsShortAndIsoForms() {
        assertThat(DurationParser.parse("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(DurationParser.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(DurationParser.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(DurationParser.parse("0.5h")).isEqualTo(Duration.ofMinutes(30));
        assertThat(DurationParser.parse("PT2M")).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> DurationParser.parse("15 minutes")).hasMessageContaining("--time");
        assertThatThrownBy(() -> DurationParser.parse("0s")).hasMessageContaining("positive");
        assertThat(DurationParser.format(Duration.ofSeconds(3725))).isEqualTo("1h02m");
        assertThat(DurationParser.format(Duration.ofSeconds(185))).isEqualTo("3m05s");
    }
}
