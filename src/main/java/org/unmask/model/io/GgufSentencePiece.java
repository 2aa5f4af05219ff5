package org.unmask.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.text.HfTokenizer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.unmask.model.io.GgufTokenizer.BYTE;
import static org.unmask.model.io.GgufTokenizer.CONTROL;
import static org.unmask.model.io.GgufTokenizer.NORMAL;
import static org.unmask.model.io.GgufTokenizer.UNKNOWN;
import static org.unmask.model.io.GgufTokenizer.USER_DEFINED;

/**
 * A SentencePiece BPE tokenizer (Llama 2, TinyLlama, Mistral) in GGUF metadata ({@code tokenizer.ggml.model =
 * "llama"}: {@code tokens}, {@code scores}, {@code token_type}, {@code add_space_prefix}), to and from the
 * tokenizer.json forms Hugging Face's converter writes for such a model. llama.cpp merges the adjacent pair whose
 * result scores highest; tokenizer.json lists merges in that order.
 */
final class GgufSentencePiece {
    private GgufSentencePiece() {}

    /** SentencePiece's word marker, which stands for a space. */
    static final String WORD_MARKER = "\u2581";

    /**
     * A SentencePiece BPE vocabulary ({@code tokenizer.ggml.model = "llama"}: Llama 2, TinyLlama, Mistral) as the
     * tokenizer.json that Hugging Face's converter writes for it: spaces become the word marker and a text gets one in
     * front ({@code add_space_prefix}, default true), the pieces merge pairwise by the score of what they merge into
     * (highest first; the merges are listed in that order), and characters outside the vocabulary fall back to the
     * {@code <0xHH>} byte pieces. Control and unknown pieces are special added tokens, user-defined ones plain added
     * tokens; BOS is added by default ({@code add_bos_token}), EOS when {@code add_eos_token} says so.
     */
    static HfTokenizer read(GgufFile g, List<String> tokens, List<Long> types) throws IOException {
        List<Number> scores = g.optArray("tokenizer.ggml.scores", Number.class, "numbers");
        if (scores != null && scores.size() != tokens.size())
            throw new IOException(g.file() + ": metadata 'tokenizer.ggml.scores' has " + scores.size() + " entries for "
                    + tokens.size() + " tokens");
        boolean spacePrefix = !Boolean.FALSE.equals(g.optBool("tokenizer.ggml.add_space_prefix"));
        ObjectNode root = GgufTokenizer.JSON.createObjectNode();
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode steps = norm.putArray("normalizers");
        if (spacePrefix) steps.addObject().put("type", "Prepend").put("prepend", WORD_MARKER);
        ObjectNode replace = steps.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", WORD_MARKER);
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "Sequence");
        ArrayNode decoders = dec.putArray("decoders");
        ObjectNode back = decoders.addObject().put("type", "Replace");
        back.putObject("pattern").put("String", WORD_MARKER);
        back.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        if (spacePrefix) decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);

        ObjectNode m = root.putObject("model");
        m.put("type", "BPE");
        m.put("fuse_unk", true);
        m.put("byte_fallback", true);
        ObjectNode vocab = m.putObject("vocab");
        ArrayNode added = root.putArray("added_tokens");
        Map<String, Integer> ids = new HashMap<>();
        String unk = null;
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            long type = types == null ? NORMAL : types.get(i);
            if (ids.putIfAbsent(t, i) != null) continue;
            vocab.put(t, i);
            if (type == UNKNOWN && unk == null) unk = t;
            if (type == CONTROL || type == UNKNOWN || type == USER_DEFINED) {
                ObjectNode a = added.addObject();
                a.put("id", i);
                a.put("content", t);
                a.put("special", type != USER_DEFINED);
                a.put("normalized", false);
            }
        }
        Integer unkId = g.optInteger("tokenizer.ggml.unknown_token_id");
        if (unkId != null && unkId >= 0 && unkId < tokens.size()) unk = tokens.get(unkId);
        if (unk != null) m.put("unk_token", unk);
        ArrayNode ms = m.putArray("merges");
        for (String[] pair : mergesByScore(tokens, scores, ids)) ms.addArray().add(pair[0]).add(pair[1]);
        GgufTokenizer.postProcessor(g, root, tokens, true);
        return GgufTokenizer.build(g, root);
    }

    /**
     * Every split of a piece into two pieces of the vocabulary, ordered by the merged piece's score, highest first
     * (SentencePiece merges the best-scoring pair); a piece's own splits follow the ids of their halves.
     */
    private static List<String[]> mergesByScore(List<String> tokens, List<Number> scores, Map<String, Integer> ids) {
        record Merge(String left, String right, double score, int id, int leftId, int rightId) {}
        List<Merge> merges = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (ids.get(t) != i) continue;
            double score = scores == null ? -i : scores.get(i).doubleValue();
            for (int cut = t.offsetByCodePoints(0, 1); cut < t.length(); cut = t.offsetByCodePoints(cut, 1)) {
                Integer l = ids.get(t.substring(0, cut)), r = ids.get(t.substring(cut));
                if (l != null && r != null) merges.add(new Merge(t.substring(0, cut), t.substring(cut), score, i, l, r));
            }
        }
        merges.sort(java.util.Comparator.comparingDouble(Merge::score).reversed().thenComparingInt(Merge::id)
                .thenComparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
        List<String[]> out = new ArrayList<>(merges.size());
        for (Merge mg : merges) out.add(new String[] {mg.left(), mg.right()});
        return out;
    }

    /**
     * Whether a tokenizer.json is a SentencePiece BPE in one of the two forms Hugging Face's converter writes (byte
     * fallback; spaces as the word marker by a Replace normalizer or a Metaspace pre-tokenizer that does not split):
     * null when it is not, else whether it puts a marker before a text (Prepend, or Metaspace's always / first).
     */
    static Boolean spacePrefix(JsonNode tok) {
        JsonNode model = tok.path("model"), norm = tok.path("normalizer"), pre = tok.path("pre_tokenizer");
        if (!"BPE".equals(model.path("type").asText()) || !model.path("byte_fallback").asBoolean(false)) return null;
        if ("Metaspace".equals(pre.path("type").asText()) && !pre.path("split").asBoolean(true)
                && WORD_MARKER.equals(pre.path("replacement").asText(WORD_MARKER)) && (norm.isNull() || norm.isMissingNode()))
            // files from before prepend_scheme say add_prefix_space (true: always)
            return !"never".equals(pre.path("prepend_scheme").asText(pre.path("add_prefix_space").asBoolean(true) ? "always" : "never"));
        if (!pre.isNull() && !pre.isMissingNode()) return null;
        List<JsonNode> steps = new ArrayList<>();
        if ("Sequence".equals(norm.path("type").asText())) norm.path("normalizers").forEach(steps::add);
        else steps.add(norm);
        boolean prepend = false, replace = false;
        for (JsonNode step : steps) {
            switch (step.path("type").asText()) {
                case "Prepend" -> {
                    if (!WORD_MARKER.equals(step.path("prepend").asText()) || replace) return null;
                    prepend = true;
                }
                case "Replace" -> {
                    if (!" ".equals(step.path("pattern").path("String").asText(null)) || !WORD_MARKER.equals(step.path("content").asText()))
                        return null;
                    replace = true;
                }
                default -> { return null; }
            }
        }
        return replace ? prepend : null;
    }

    /**
     * A SentencePiece tokenizer.json as llama.cpp's {@code llama} vocabulary: every token with a score that orders the
     * merges as the file lists them (the n-th merge's result scores −n, what no merge makes scores below all of them),
     * byte pieces as BYTE, the unknown piece as UNKNOWN, special added tokens as CONTROL, others as USER_DEFINED.
     */
    static void write(GgufWriter w, JsonNode tok, int vocabSize, boolean addBos, boolean spacePrefix) {
        JsonNode model = tok.path("model");
        int[] types = new int[vocabSize];
        String[] tokens = GgufTokenizer.rows(tok, vocabSize, types, true);
        String unk = model.path("unk_token").asText(null);
        float[] scores = new float[vocabSize];
        java.util.Arrays.fill(scores, Float.NaN);
        int rank = 0;
        for (JsonNode m : model.path("merges")) {
            String merged = m.isArray() ? m.get(0).asText() + m.get(1).asText() : m.asText().replaceFirst(" ", "");
            JsonNode id = model.path("vocab").get(merged);
            if (id != null && id.asInt() < vocabSize && Float.isNaN(scores[id.asInt()])) scores[id.asInt()] = -rank;
            rank++;
        }
        for (int i = 0; i < vocabSize; i++) if (Float.isNaN(scores[i])) scores[i] = types[i] == NORMAL ? -(rank + i) : 0f;
        w.putString("tokenizer.ggml.model", "llama");
        w.putStrings("tokenizer.ggml.tokens", List.of(tokens));
        w.putF32s("tokenizer.ggml.scores", scores);
        w.putI32s("tokenizer.ggml.token_type", types);
        if (unk != null && model.path("vocab").has(unk)) w.putU32("tokenizer.ggml.unknown_token_id", model.path("vocab").get(unk).asInt());
        w.putBool("tokenizer.ggml.add_space_prefix", spacePrefix);
        w.putBool("tokenizer.ggml.add_bos_token", addBos);
    }
}
