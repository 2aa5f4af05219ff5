package org.unmask.model.moe;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Ordering rules of the incremental top-k. */
class TopKTest {

    @Test
    void keepsTheLargestValuesBestFirstWithTiesToTheLowerIndexInAnyOfferOrder() {
        float[] v = {0.5f, 2f, 2f, -1f, 3f, 2f};
        for (int[] order : new int[][]{{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {2, 5, 0, 4, 3, 1}}) {
            TopK top = new TopK(3);
            for (int i : order) top.offer(i, v[i]);
            assertThat(top.size()).isEqualTo(3);
            assertThat(new int[]{top.index(0), top.index(1), top.index(2)}).containsExactly(4, 1, 2);
            assertThat(top.value(2)).isEqualTo(2f);
        }
    }

    @Test
    void nanRanksBelowEveryNumber() {
        TopK top = new TopK(2);
        top.offer(0, Float.NaN);
        top.offer(1, Float.NEGATIVE_INFINITY);
        top.offer(2, -5f);
        assertThat(new int[]{top.index(0), top.index(1)}).containsExactly(2, 1);
        top.reset();
        top.offer(3, Float.NaN);
        assertThat(top.size()).isEqualTo(1);
        assertThat(top.index(0)).isEqualTo(3);
    }
}
