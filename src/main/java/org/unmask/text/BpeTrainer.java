package org.unmask.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a byte-level BPE tokenizer with the Llama-3 split: the special tokens at ids 0..5, the 256 byte tokens
 * next, then one token per learned merge.
 */
public final class BpeTrainer {

    /** Id of the first byte token. */
    public static final int FIRST_BYTE_ID = SpecialTokens.ALL.size();
    /** The smallest vocabulary: the special tokens and the 256 bytes. */
    public static final int MIN_VOCAB = FIRST_BYTE_ID + 256;

    private static final Pattern SPLIT = Regexes.compile(Regexes.LLAMA3);

    private BpeTrainer() {}

    /** Trains a tokenizer with at most {@code vocabSize} tokens (fewer when the corpus runs out of pairs). */
    public static HfTokenizer train(Iterable<String> documents, int vocabSize) throws TokenizerFormatException {
        return HfTokenizer.fromJson(trainJson(documents, vocabSize), "trained tokenizer");
    }

    /** Trains and returns the tokenizer.json tree. */
    public static JsonNode trainJson(Iterable<String> documents, int vocabSize) {
        if (vocabSize < MIN_VOCAB)
            throw new IllegalArgumentException("vocab size " + vocabSize + " is below the minimum " + MIN_VOCAB
                    + " (6 special tokens + 256 bytes)");
        Map<String, int[]> counts = countPreTokens(documents);
        Merger merger = new Merger(counts);
        merger.run(vocabSize);
        return toJson(merger);
    }

    /** Frequency of every pre-token (Llama-3 split), with special-token text kept out of the counts. */
    static Map<String, int[]> countPreTokens(Iterable<String> documents) {
        Map<String, int[]> counts = new HashMap<>();
        for (String doc : documents) {
            for (String part : withoutSpecialTokens(doc)) {
                Matcher m = SPLIT.matcher(part);
                while (m.find()) {
                    if (m.end() == m.start()) continue;
                    int[] c = counts.computeIfAbsent(part.substring(m.start(), m.end()), k -> new int[1]);
                    c[0]++;
                }
            }
        }
        return counts;
    }

    private static List<String> withoutSpecialTokens(String doc) {
        if (!doc.contains("<|")) return List.of(doc);
        List<String> parts = new ArrayList<>();
        int from = 0;
        for (int i = doc.indexOf("<|"); i >= 0; i = doc.indexOf("<|", i + 1)) {
            for (String s : SpecialTokens.ALL) {
                if (doc.startsWith(s, i)) {
                    parts.add(doc.substring(from, i));
                    from = i + s.length();
                    i = from - 1;
                    break;
                }
            }
        }
        parts.add(doc.substring(from));
        return parts;
    }

    /** The merge loop over the word-frequency table with incremental pair counts. */
    static final class Merger {
        final List<byte[]> tokenBytes = new ArrayList<>();
        final Map<String, Integer> idByToken = new HashMap<>();
        final List<int[]> merges = new ArrayList<>();

        private final int[][] words;
        private final int[] lengths;
        private final long[] freq;
        private final LongLongMap pairCounts;
        private final Map<Long, IntList> where = new HashMap<>();
        private final int[] stamp;
        private final PriorityQueue<long[]> queue = new PriorityQueue<>((x, y) ->
                x[0] != y[0] ? Long.compare(y[0], x[0]) : x[1] != y[1] ? Long.compare(x[1], y[1]) : Long.compare(x[2], y[2]));

        Merger(Map<String, int[]> counts) {
            for (String s : SpecialTokens.ALL) addToken(s.getBytes(java.nio.charset.StandardCharsets.UTF_8), s);
            for (int b = 0; b < 256; b++) addToken(new byte[] {(byte) b}, null);
            List<int[]> ws = new ArrayList<>();
            List<Long> fs = new ArrayList<>();
            for (Map.Entry<String, int[]> e : counts.entrySet()) {
                byte[] bytes = e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                if (bytes.length < 2) continue; // a single byte never takes part in a merge
                int[] w = new int[bytes.length];
                for (int i = 0; i < bytes.length; i++) w[i] = FIRST_BYTE_ID + (bytes[i] & 0xFF);
                ws.add(w);
                fs.add((long) e.getValue()[0]);
            }
            words = ws.toArray(new int[0][]);
            lengths = new int[words.length];
            freq = new long[words.length];
            stamp = new int[words.length];
            pairCounts = new LongLongMap(1 << 16, 0);
            for (int w = 0; w < words.length; w++) {
                lengths[w] = words[w].length;
                freq[w] = fs.get(w);
                for (int i = 0; i + 1 < lengths[w]; i++) {
                    long p = LongLongMap.pair(words[w][i], words[w][i + 1]);
                    pairCounts.add(p, freq[w]);
                    addWhere(p, w);
                }
            }
            for (Map.Entry<Long, IntList> e : where.entrySet()) {
                long p = e.getKey();
                queue.add(new long[] {pairCounts.get(p), p >>> 32, p & 0xFFFFFFFFL});
            }
        }

        private void addToken(byte[] bytes, String special) {
            String s = special != null ? special : ByteLevelAlphabet.encode(bytes, 0, bytes.length);
            idByToken.put(s, tokenBytes.size());
            tokenBytes.add(bytes);
        }

        private void addWhere(long pair, int w) {
            IntList l = where.computeIfAbsent(pair, k -> new IntList(4));
            if (l.size() == 0 || l.get(l.size() - 1) != w) l.add(w);
        }

        void run(int vocabSize) {
            int round = 0;
            while (tokenBytes.size() < vocabSize) {
                long[] top = queue.poll();
                if (top == null) break;
                long pair = LongLongMap.pair((int) top[1], (int) top[2]);
                long current = pairCounts.get(pair);
                if (current != top[0] || current <= 0) continue; // stale entry: a newer one carries the count
                int a = (int) top[1], b = (int) top[2];
                byte[] ab = concat(tokenBytes.get(a), tokenBytes.get(b));
                String s = ByteLevelAlphabet.encode(ab, 0, ab.length);
                Integer existing = idByToken.get(s);
                int id = existing != null ? existing : tokenBytes.size();
                if (existing == null) addToken(ab, null);
                merges.add(new int[] {a, b});
                applyMerge(pair, a, b, id, ++round);
            }
        }

        private void applyMerge(long pair, int a, int b, int id, int round) {
            IntList ws = where.remove(pair);
            Set<Long> changed = new HashSet<>();
            for (int k = 0; k < ws.size(); k++) {
                int w = ws.get(k);
                if (stamp[w] == round) continue;
                stamp[w] = round;
                int[] sym = words[w];
                int n = lengths[w];
                long f = freq[w];
                int out = 0;
                for (int i = 0; i < n; ) {
                    if (i + 1 < n && sym[i] == a && sym[i + 1] == b) {
                        // Neighbours: the left one is already rewritten, the right one is still original.
                        if (out > 0) {
                            int left = sym[out - 1];
                            bump(LongLongMap.pair(left, a), -f, changed);
                            long np = LongLongMap.pair(left, id);
                            bump(np, f, changed);
                            addWhere(np, w);
                        }
                        if (i + 2 < n) {
                            int right = sym[i + 2];
                            bump(LongLongMap.pair(b, right), -f, changed);
                            long np = LongLongMap.pair(id, right);
                            bump(np, f, changed);
                            addWhere(np, w);
                        }
                        bump(pair, -f, changed);
                        sym[out++] = id;
                        i += 2;
                    } else {
                        sym[out++] = sym[i++];
                    }
                }
                lengths[w] = out;
            }
            changed.remove(pair);
            for (long p : changed) {
                long c = pairCounts.get(p);
                if (c > 0) queue.add(new long[] {c, p >>> 32, p & 0xFFFFFFFFL});
            }
        }

        private void bump(long pair, long delta, Set<Long> changed) {
            pairCounts.add(pair, delta);
            changed.add(pair);
        }

        String tokenString(int id) {
            return id < FIRST_BYTE_ID ? SpecialTokens.ALL.get(id)
                    : ByteLevelAlphabet.encode(tokenBytes.get(id), 0, tokenBytes.get(id).length);
        }

        private static byte[] concat(byte[] x, byte[] y) {
            byte[] r = Arrays.copyOf(x, x.length + y.length);
            System.arraycopy(y, 0, r, x.length, y.length);
            return r;
        }
    }

    private static JsonNode toJson(Merger m) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SpecialTokens.ALL.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", SpecialTokens.ALL.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", Regexes.LLAMA3);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode bl = steps.addObject();
        bl.put("type", "ByteLevel");
        bl.put("add_prefix_space", false);
        bl.put("trim_offsets", true);
        bl.put("use_regex", false);

        String bos = SpecialTokens.BOS;
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = post.putObject("special_tokens").putObject(bos);
        st.put("id", bos);
        st.putArray("ids").add(1);
        st.putArray("tokens").add(bos);

        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", true);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);

        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < m.tokenBytes.size(); id++) vocab.put(m.tokenString(id), id);
        ArrayNode merges = model.putArray("merges");
        for (int[] mg : m.merges) merges.addArray().add(m.tokenString(mg[0])).add(m.tokenString(mg[1]));
        return root;
    }
}
