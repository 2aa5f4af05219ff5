package org.unmask.text;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Byte-pair encoding: a word's symbols are merged pair by pair, lowest merge rank first, leftmost on ties. */
final class BpeModel implements TokenModel {

    private static final int CACHE_LIMIT = 200_000;
    private static final int CACHE_MAX_WORD = 256; // long rare words would only crowd the cache

    private final Map<String, Integer> vocab;
    private final LongLongMap merges;          // pair(a, b) -> rank << 32 | merged id
    private final Map<Integer, Integer> charIds = new HashMap<>(); // code point -> id of the one-character token
    private final Integer unkId;
    private final String prefix;
    private final String suffix;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    BpeModel(Map<String, Integer> vocab, List<String[]> mergeList, String unkToken, String prefix, String suffix,
             boolean fuseUnk, boolean byteFallback, boolean ignoreMerges, String source) throws TokenizerFormatException {
        this.vocab = Map.copyOf(vocab);
        this.prefix = prefix == null ? "" : prefix;
        this.suffix = suffix == null ? "" : suffix;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        if (unkToken != null && !vocab.containsKey(unkToken))
            throw new TokenizerFormatException(source, "BPE unk_token '" + unkToken + "' is not in the vocabulary");
        this.unkId = unkToken == null ? null : vocab.get(unkToken);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            String t = e.getKey();
            if (!t.isEmpty() && t.codePointCount(0, t.length()) == 1) charIds.put(t.codePointAt(0), e.getValue());
        }
        merges = new LongLongMap(mergeList.size(), -1);
        int prefixLen = this.prefix.length();
        for (int rank = 0; rank < mergeList.size(); rank++) {
            String a = mergeList.get(rank)[0], b = mergeList.get(rank)[1];
            Integer ia = vocab.get(a), ib = vocab.get(b);
            String merged = a + (prefixLen > 0 && b.startsWith(this.prefix) ? b.substring(prefixLen) : b);
            Integer im = vocab.get(merged);
            if (ia == null || ib == null || im == null) {
                String missing = ia == null ? a : ib == null ? b : merged;
                throw new TokenizerFormatException(source, "merge " + (rank + 1) + " '" + a + " " + b
                        + "' uses '" + missing + "', which is not in the vocabulary");
            }
            merges.put(LongLongMap.pair(ia, ib), ((long) rank << 32) | im);
        }
    }

    @Override public Map<String, Integer> vocab() { return vocab; }

    @Override public void tokenize(String word, IntList out) {
        if (word.isEmpty()) return;
        if (word.length() > CACHE_MAX_WORD) {
            out.addAll(encodeWord(word));
            return;
        }
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = encodeWord(word);
            if (cache.size() >= CACHE_LIMIT) cache.clear();
            cache.put(word, ids);
        }
        out.addAll(ids);
    }

    private int[] encodeWord(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[] {whole};
        }
        IntList symbols = initialSymbols(word);
        int n = symbols.size();
        int[] sym = symbols.toArray();
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }

        // Min-heap of (rank << 32 | position); stale entries are skipped when popped.
        long[] heap = new long[Math.max(4, n)];
        int heapSize = 0;
        for (int i = 0; i + 1 < n; i++) {
            long m = merges.get(LongLongMap.pair(sym[i], sym[i + 1]));
            if (m >= 0) { heap = push(heap, heapSize++, ((m >>> 32) << 32) | i); }
        }
        while (heapSize > 0) {
            long top = heap[0];
            heap[0] = heap[--heapSize];
            siftDown(heap, heapSize);
            int pos = (int) top;
            long rank = top >>> 32;
            if (sym[pos] < 0 || next[pos] < 0) continue;
            int right = next[pos];
            long m = merges.get(LongLongMap.pair(sym[pos], sym[right]));
            if (m < 0 || (m >>> 32) != rank) continue;
            sym[pos] = (int) m;
            sym[right] = -1;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0) {
                long l = merges.get(LongLongMap.pair(sym[prev[pos]], sym[pos]));
                if (l >= 0) heap = push(heap, heapSize++, ((l >>> 32) << 32) | prev[pos]);
            }
            if (next[pos] >= 0) {
                long r = merges.get(LongLongMap.pair(sym[pos], sym[next[pos]]));
                if (r >= 0) heap = push(heap, heapSize++, ((r >>> 32) << 32) | pos);
            }
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0 && i < n; i = next[i]) out.add(sym[i]);
        return out.toArray();
    }

    /** One symbol per character, with the subword prefix/suffix, byte fallback or unknown token as configured. */
    private IntList initialSymbols(String word) {
        IntList ids = new IntList(word.length());
        boolean plain = prefix.isEmpty() && suffix.isEmpty();
        boolean lastWasUnk = false;
        for (int i = 0; i < word.length(); ) {
            int c = word.codePointAt(i);
            int end = i + Character.charCount(c);
            Integer id;
            if (plain) {
                id = charIds.get(c);
            } else {
                String s = word.substring(i, end);
                if (i > 0) s = prefix + s;
                if (end == word.length()) s = s + suffix;
                id = vocab.get(s);
            }
            if (id != null) {
                ids.add(id);
                lastWasUnk = false;
            } else if (byteFallback && addBytes(word.substring(i, end), ids)) {
                lastWasUnk = false;
            } else if (unkId != null) {
                if (!(fuseUnk && lastWasUnk)) ids.add(unkId);
                lastWasUnk = true;
            }
            i = end;
        }
        return ids;
    }

    private boolean addBytes(String ch, IntList ids) {
        byte[] bytes = ch.getBytes(StandardCharsets.UTF_8);
        int[] found = new int[bytes.length];
        for (int k = 0; k < bytes.length; k++) {
            Integer id = vocab.get(String.format("<0x%02X>", bytes[k] & 0xFF));
            if (id == null) return false;
            found[k] = id;
        }
        ids.addAll(found);
        return true;
    }

    private static long[] push(long[] heap, int size, long v) {
        if (size == heap.length) heap = java.util.Arrays.copyOf(heap, size * 2);
        int i = size;
        heap[i] = v;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
        return heap;
    }

    private static void siftDown(long[] heap, int size) {
        if (size == 0) return;
        long v = heap[0];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= v) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }
}
