package org.unmask.data;

/** A long run of token ids (a tokenised corpus, documents separated by EOS) that windows are cut from. */
public interface Tokens {
    /** Number of tokens. */
    long size();

    /** Copies tokens {@code [from, from+n)} into {@code dst[off..]}. */
    void copy(long from, int[] dst, int off, int n);

    /** Tokens held in an array. */
    static Tokens of(int[] ids) {
        return new Tokens() {
            public long size() { return ids.length; }
            public void copy(long from, int[] dst, int off, int n) { System.arraycopy(ids, Math.toIntExact(from), dst, off, n); }
        };
    }

    /** The tokens {@code [from, to)} of {@code base}. */
    static Tokens slice(Tokens base, long from, long to) {
        if (from < 0 || to > base.size() || from > to) throw new IllegalArgumentException("bad slice [" + from + ", " + to + ") of " + base.size());
        return new Tokens() {
            public long size() { return to - from; }
            public void copy(long at, int[] dst, int off, int n) {
                if (at < 0 || at + n > to - from) throw new IndexOutOfBoundsException("window [" + at + ", " + (at + n) + ") outside " + (to - from));
                base.copy(from + at, dst, off, n);
            }
        };
    }
}
