package org.unmask.train;

import org.unmask.data.Tokens;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class WindowSamplerTest {
    static int[] ramp(int n) { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = i; return a; }

    @Test void randomWindowsAreContiguousAndReproducible() {
        Tokens t = Tokens.of(ramp(1000));
        WindowSampler a = new WindowSampler(t, 4, 16, 5, false), b = new WindowSampler(t, 4, 16, 5, false);
        for (int i = 0; i < 20; i++) {
            CleanBatch x = a.next(), y = b.next();
            assertThat(x.ids()).isEqualTo(y.ids());
            for (int r = 0; r < 4; r++)
                for (int k = 1; k < 16; k++) assertThat(x.ids()[r * 16 + k]).isEqualTo(x.ids()[r * 16] + k);
        }
    }

    @Test void epochsVisitEveryWindowOnceAndResumeMidEpoch() {
        Tokens t = Tokens.of(ramp(16 * 12 + 5));
        WindowSampler s = new WindowSampler(t, 3, 16, 9, true);
        Set<Integer> starts = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            CleanBatch c = s.next();
            for (int r = 0; r < 3; r++) starts.add(c.ids()[r * 16]);
        }
        assertThat(starts).hasSize(12);
        for (int st : starts) assertThat(st % 16).isZero();
        assertThat(s.epochs()).isEqualTo(1.0);
        s.next();
        var saved = s.state();
        CleanBatch expected = s.next();
        WindowSampler r = new WindowSampler(t, 3, 16, 9, true);
        r.restore(saved);
        assertThat(r.next().ids()).isEqualTo(expected.ids());
    }

    @Test void randomStateRestores() {
        Tokens t = Tokens.of(ramp(500));
        WindowSampler s = new WindowSampler(t, 2, 8, 3, false);
        s.next();
        var saved = s.state();
        CleanBatch expected = s.next();
        WindowSampler r = new WindowSampler(t, 2, 8, 3, false);
        r.restore(saved);
        assertThat(r.next().ids()).isEqualTo(expected.ids());
        assertThat(r.epochs()).isEqualTo(s.epochs());
    }

    @Test void theSavedPositionNamesItsDataAndNoticesOtherData() {
        int[] ids = ramp(5000);
        WindowSampler s = new WindowSampler(Tokens.of(ids), 2, 8, 3, false, "/data/corpus.txt");
        s.next();
        var saved = s.state();
        assertThat(WindowSampler.corpus(saved)).contains("/data/corpus.txt");
        assertThat(saved.get("tokens").asLong()).isEqualTo(5000);
        // the same tokens, by any name: no change
        assertThat(new WindowSampler(Tokens.of(ids.clone()), 2, 8, 3, false, "elsewhere.txt").change(saved)).isEmpty();
        // more tokens
        assertThat(new WindowSampler(Tokens.of(ramp(5001)), 2, 8, 3, false).change(saved))
                .hasValueSatisfying(m -> assertThat(m).contains("5,001 tokens").contains("5,000"));
        // as many tokens, one of them changed (in the first of the runs the fingerprint reads)
        int[] edited = ids.clone();
        edited[10] = 77;
        assertThat(new WindowSampler(Tokens.of(edited), 2, 8, 3, false).change(saved))
                .hasValueSatisfying(m -> assertThat(m).contains("differ"));
        // a position saved before the data was recorded says nothing
        var old = (com.fasterxml.jackson.databind.node.ObjectNode) saved.deepCopy();
        old.remove(java.util.List.of("tokens", "fingerprint", "corpus"));
        assertThat(new WindowSampler(Tokens.of(ramp(9000)), 2, 8, 3, false).change(old)).isEmpty();
        assertThat(WindowSampler.corpus(old)).isEmpty();
    }
}
