package org.unmask.train;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RngTest {
    @Test void stateRoundTripContinuesTheSameStream() {
        Rng a = new Rng(42);
        for (int i = 0; i < 10; i++) a.nextLong();
        Rng b = Rng.fromState(a.state());
        for (int i = 0; i < 100; i++) assertThat(b.nextLong()).isEqualTo(a.nextLong());
    }

    @Test void uniformDoublesAndBoundedInts() {
        Rng r = new Rng(1);
        double sum = 0;
        int[] counts = new int[7];
        int n = 70000;
        for (int i = 0; i < n; i++) {
            double d = r.nextDouble();
            assertThat(d).isGreaterThanOrEqualTo(0).isLessThan(1);
            sum += d;
            counts[r.nextInt(7)]++;
        }
        assertThat(sum / n).isCloseTo(0.5, within(0.01));
        for (int c : counts) assertThat(c).isBetween(9000, 11000);
        assertThatThrownBy(() -> r.nextInt(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test void seedsGiveDifferentStreams() {
        assertThat(new Rng(1).nextLong()).isNotEqualTo(new Rng(2).nextLong());
        assertThatThrownBy(() -> Rng.fromState(new long[4])).hasMessageContaining("all zero");
    }
}
