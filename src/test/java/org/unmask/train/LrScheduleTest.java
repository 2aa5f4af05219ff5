package org.unmask.train;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LrScheduleTest {
    @Test void cosineWarmsUpLinearlyThenDecaysToTenPercent() {
        LrSchedule s = LrSchedule.of(LrSchedule.Kind.COSINE, 1e-3, 10);
        assertThat(s.lr(0, 0)).isCloseTo(1e-4, within(1e-12));
        assertThat(s.lr(4, 0)).isCloseTo(5e-4, within(1e-12));
        assertThat(s.lr(9, 0)).isCloseTo(1e-3, within(1e-12));
        assertThat(s.lr(10, 0.0)).isCloseTo(1e-3, within(1e-12));
        assertThat(s.lr(50, 0.5)).isCloseTo(1e-3 * (0.1 + 0.9 * 0.5), within(1e-12));
        assertThat(s.lr(99, 1.0)).isCloseTo(1e-4, within(1e-12));
        assertThat(s.lr(200, 3.0)).isCloseTo(1e-4, within(1e-12));   // past the end stays at the floor
    }

    @Test void wsdHoldsThePeakThenDecaysOverTheLastFifth() {
        LrSchedule s = LrSchedule.of(LrSchedule.Kind.WSD, 2e-3, 5);
        assertThat(s.lr(2, 0)).isCloseTo(2e-3 * 3 / 5, within(1e-12));
        assertThat(s.lr(10, 0.3)).isCloseTo(2e-3, within(1e-12));
        assertThat(s.lr(10, 0.8)).isCloseTo(2e-3, within(1e-12));
        assertThat(s.lr(10, 0.9)).isCloseTo(2e-3 * (1 - 0.9 * 0.5), within(1e-12));
        assertThat(s.lr(10, 1.0)).isCloseTo(2e-4, within(1e-12));
    }

    @Test void kindNamesAreChecked() {
        assertThat(LrSchedule.kind("WSD")).isEqualTo(LrSchedule.Kind.WSD);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LrSchedule.kind("step")).hasMessageContaining("--schedule");
    }
}
