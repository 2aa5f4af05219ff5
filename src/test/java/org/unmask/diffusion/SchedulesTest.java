package org.unmask.diffusion;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SchedulesTest {

    @Test
    void transferCountsMatchTheReferenceExamples() {
        assertThat(Schedules.numTransferTokens(32, 10)).containsExactly(4, 4, 3, 3, 3, 3, 3, 3, 3, 3);
        assertThat(Schedules.numTransferTokens(5, 8)).containsExactly(1, 1, 1, 1, 1, 0, 0, 0);
        assertThat(Schedules.numTransferTokens(7, 7)).containsOnly(1);
    }

    @Test
    void transferCountsSumToTheMasksWithLargerValuesFirst() {
        for (int masks = 0; masks <= 70; masks++) {
            for (int steps = 1; steps <= 20; steps++) {
                int[] n = Schedules.numTransferTokens(masks, steps);
                int sum = 0;
                for (int i = 0; i < steps; i++) {
                    sum += n[i];
                    assertThat(n[i]).isBetween(masks / steps, (masks + steps - 1) / steps);
                    if (i > 0) assertThat(n[i]).isLessThanOrEqualTo(n[i - 1]);
                }
                assertThat(sum).isEqualTo(masks);
            }
        }
    }

    /** Simulates Dream's counts for a canvas of n masks: the number committed at each step. */
    private static int[] dreamCounts(int n, int steps) {
        float[] ts = Schedules.dreamTimesteps(steps, 1e-3f);
        int[] c = new int[steps];
        int left = n;
        for (int i = 0; i < steps; i++) {
            c[i] = Math.min(left, Schedules.dreamCount(ts, i, left));
            left -= c[i];
        }
        return c;
    }

    @Test
    void dreamScheduleMatchesTheTable() {
        int[] a = dreamCounts(256, 256);
        assertThat(a[0]).isZero();
        assertThat(a[255]).isEqualTo(2);
        for (int i = 1; i < 255; i++) assertThat(a[i]).isEqualTo(1);

        int[] b = dreamCounts(1024, 1024);
        assertThat(b[0]).isZero();
        assertThat(b[1]).isZero();
        assertThat(b[1023]).isEqualTo(3);
        for (int i = 2; i < 1023; i++) assertThat(b[i]).isEqualTo(1);

        int[] c = dreamCounts(256, 128);
        assertThat(c[0]).isEqualTo(1);
        assertThat(c[127]).isEqualTo(3);
        for (int i = 1; i < 127; i++) assertThat(c[i]).isEqualTo(2);

        int zero = 0;
        for (int v : dreamCounts(128, 512)) if (v == 0) zero++;
        assertThat(zero).isEqualTo(385);

        int[] d = dreamCounts(512, 512);
        assertThat(d[0]).isZero();
        assertThat(d[511]).isEqualTo(2);
    }

    @Test
    void dreamScheduleAlwaysSumsToN() {
        for (int n : new int[]{1, 7, 64, 100, 256}) {
            for (int steps : new int[]{1, 2, 3, 10, 64, 300}) {
                int sum = 0;
                for (int v : dreamCounts(n, steps)) sum += v;
                assertThat(sum).as("n=%d steps=%d", n, steps).isEqualTo(n);
            }
        }
    }

    @Test
    void dreamTimestepsEndExactlyAtTheEndPoints() {
        float[] ts = Schedules.dreamTimesteps(4, 1e-3f);
        assertThat(ts).hasSize(5);
        assertThat(ts[0]).isEqualTo(1f);
        assertThat(ts[4]).isEqualTo(1e-3f);
        // origin's expected transfer fractions for 4 steps: ≈ [0.2498, 0.3329, 0.4990, 1]
        assertThat(Schedules.originProbability(ts, 0)).isCloseTo(0.2498, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(Schedules.originProbability(ts, 1)).isCloseTo(0.3329, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(Schedules.originProbability(ts, 2)).isCloseTo(0.4990, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(Schedules.originProbability(ts, 3)).isEqualTo(1.0);
    }

    @Test
    void factorRuleTakesThePrefixSatisfyingTheBound() {
        // (n+1)(1-c_n) < f: with f = 1: n=2 needs c_2 > 2/3, n=3 needs c_3 > 3/4.
        assertThat(Schedules.factorCount(new double[]{0.99, 0.9, 0.8, 0.7}, 4, 1.0)).isEqualTo(3);
        assertThat(Schedules.factorCount(new double[]{0.99, 0.6, 0.59}, 3, 1.0)).isEqualTo(1);
        assertThat(Schedules.factorCount(new double[]{0.1, 0.05}, 2, 1.0)).isEqualTo(1);   // always at least one
        assertThat(Schedules.factorCount(new double[]{0.9, 0.9, 0.9, 0.9}, 4, 10.0)).isEqualTo(4);
    }
}
