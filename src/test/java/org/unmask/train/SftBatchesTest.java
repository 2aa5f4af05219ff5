package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.unmask.data.SftExample;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SftBatchesTest {
    static final int EOS = 0;

    @Test void padsWithEosToTheLongestAndCutsAtSeqLen() {
        SftExample a = new SftExample(new int[] {1, 3, 4}, new int[] {20, 21, EOS});
        SftExample b = new SftExample(new int[] {1, 3}, new int[] {30, 31, 32, 33, 34, 35, 36, 37, EOS});
        CleanBatch c = SftBatches.pad(List.of(a, b), 8, EOS);
        assertThat(c.seqLen()).isEqualTo(8);
        assertThat(c.promptLengths()).containsExactly(3, 2);
        assertThat(java.util.Arrays.copyOfRange(c.ids(), 0, 8)).containsExactly(1, 3, 4, 20, 21, EOS, EOS, EOS);
        assertThat(java.util.Arrays.copyOfRange(c.ids(), 8, 16)).containsExactly(1, 3, 30, 31, 32, 33, 34, 35);
        CleanBatch shortOnes = SftBatches.pad(List.of(a), 64, EOS);
        assertThat(shortOnes.seqLen()).isEqualTo(6);
    }

    @Test void everyExampleOncePerEpochAndResumable() {
        List<SftExample> ex = new ArrayList<>();
        for (int i = 0; i < 10; i++) ex.add(new SftExample(new int[] {1, 100 + i}, new int[] {200 + i, EOS}));
        ex.add(new SftExample(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, new int[] {9, EOS}));
        List<SftExample> fit = SftBatches.fitting(ex, 8);
        assertThat(fit).hasSize(10);
        SftBatches s = new SftBatches(fit, 2, 8, EOS, 4);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            CleanBatch c = s.next();
            for (int r = 0; r < 2; r++) seen.add(c.ids()[r * c.seqLen() + 1]);
        }
        assertThat(seen).hasSize(10);
        assertThat(s.epochs()).isEqualTo(1.0);
        s.next();
        var st = s.state();
        CleanBatch expected = s.next();
        SftBatches r = new SftBatches(fit, 2, 8, EOS, 4);
        r.restore(st);
        assertThat(r.next().ids()).isEqualTo(expected.ids());
    }
}
