package org.unmask.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.text.HfTokenizer;
import org.unmask.text.TokenizerFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A byte-level BPE tokenizer in GGUF metadata as llama.cpp stores it ({@code tokenizer.ggml.model = "gpt2"}:
 * {@code tokens}, {@code token_type}, {@code merges}, {@code pre}, special ids), to and from the tokenizer.json
 * form that {@link HfTokenizer} reads. The pre-tokenizer is named in {@code tokenizer.ggml.pre} by llama.cpp's names
 * for the split regexes: {@code llama-bpe} (Llama 3), {@code qwen2}, {@code llada-moe} (the Ling tokenizer's, also
 * named {@code bailingmoe} and {@code bailingmoe2}), {@code gpt-2}.
 */
final class GgufTokenizer {
    private GgufTokenizer() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** llama.cpp's token types (SentencePiece's piece types). */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    /** SentencePiece's pieces for single bytes ({@code <0x0A>}), which stand for what it cannot spell otherwise. */
    private static final java.util.regex.Pattern BYTE_PIECE = java.util.regex.Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    /** SentencePiece's word marker, which stands for a space. */
    static final String WORD_MARKER = "\u2581";

    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** The Ling tokenizer's split (LLaDA-MoE, LLaDA 2.x; llama.cpp's {@code llada-moe}, {@code bailingmoe}, {@code bailingmoe2}). */
    static final String LING_SPLIT = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+";
    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    // ---- writing ----

    /**
     * Writes the tokenizer of a tokenizer.json (byte-level BPE as {@code gpt2}, SentencePiece BPE as {@code llama}) as
     * GGUF metadata with {@code vocabSize} tokens (see {@link #rows}). Returns false and writes nothing for a tokenizer
     * llama.cpp could not run (neither of those).
     */
    static boolean write(GgufWriter w, JsonNode tok, int vocabSize, boolean addBos) {
        JsonNode model = tok.path("model");
        Boolean spacePrefix = sentencePieceSpacePrefix(tok);
        if (spacePrefix != null) {
            writeSentencePiece(w, tok, vocabSize, addBos, spacePrefix);
            return true;
        }
        String pre = preName(tok.path("pre_tokenizer"));
        if (!"BPE".equals(model.path("type").asText()) || pre == null) return false;
        int[] types = new int[vocabSize];
        String[] tokens = rows(tok, vocabSize, types, false);
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", pre);
        w.putStrings("tokenizer.ggml.tokens", List.of(tokens));
        w.putI32s("tokenizer.ggml.token_type", types);
        w.putStrings("tokenizer.ggml.merges", merges);
        w.putBool("tokenizer.ggml.add_bos_token", addBos);
        return true;
    }

    /**
     * Whether a tokenizer.json is a SentencePiece BPE in one of the two forms Hugging Face's converter writes (byte
     * fallback; spaces as the word marker by a Replace normalizer or a Metaspace pre-tokenizer that does not split):
     * null when it is not, else whether it puts a marker before a text (Prepend, or Metaspace's always / first).
     */
    static Boolean sentencePieceSpacePrefix(JsonNode tok) {
        JsonNode model = tok.path("model"), norm = tok.path("normalizer"), pre = tok.path("pre_tokenizer");
        if (!"BPE".equals(model.path("type").asText()) || !model.path("byte_fallback").asBoolean(false)) return null;
        if ("Metaspace".equals(pre.path("type").asText()) && !pre.path("split").asBoolean(true)
                && WORD_MARKER.equals(pre.path("replacement").asText(WORD_MARKER)) && (norm.isNull() || norm.isMissingNode()))
            return !"never".equals(pre.path("prepend_scheme").asText("always"));
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
    private static void writeSentencePiece(GgufWriter w, JsonNode tok, int vocabSize, boolean addBos, boolean spacePrefix) {
        JsonNode model = tok.path("model");
        int[] types = new int[vocabSize];
        String[] tokens = rows(tok, vocabSize, types, true);
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

    /**
     * The token of each of {@code vocabSize} rows from a tokenizer.json's vocabulary and added tokens, with llama.cpp's
     * type in {@code types}: special added tokens CONTROL, other added ones USER_DEFINED, rows the tokenizer lacks
     * {@code [PAD<id>]} and UNUSED as llama.cpp's converter writes them; for SentencePiece also the unknown piece
     * UNKNOWN and the {@code <0xHH>} pieces BYTE. A token id beyond the rows is refused.
     */
    private static String[] rows(JsonNode tok, int vocabSize, int[] types, boolean sentencePiece) {
        JsonNode model = tok.path("model");
        String[] tokens = new String[vocabSize];
        for (var it = model.path("vocab").fields(); it.hasNext(); ) {
            var e = it.next();
            int id = e.getValue().asInt();
            if (id >= vocabSize)
                throw new IllegalArgumentException("the tokenizer's token '" + e.getKey() + "' has id " + id
                        + ", beyond the model's " + vocabSize + " embedding rows: not this model's tokenizer");
            if (id < 0) continue;
            tokens[id] = e.getKey();
            types[id] = sentencePiece && BYTE_PIECE.matcher(e.getKey()).matches() ? BYTE : NORMAL;
        }
        String unk = model.path("unk_token").asText(null);
        if (sentencePiece && unk != null && model.path("vocab").has(unk)) types[model.path("vocab").get(unk).asInt()] = UNKNOWN;
        for (JsonNode a : tok.path("added_tokens")) {
            int id = a.path("id").asInt(-1);
            if (id < 0 || id >= vocabSize) continue;
            tokens[id] = a.path("content").asText();
            if (types[id] != UNKNOWN) types[id] = a.path("special").asBoolean(false) ? CONTROL : USER_DEFINED;
        }
        for (int i = 0; i < vocabSize; i++) if (tokens[i] == null) { tokens[i] = "[PAD" + i + "]"; types[i] = UNUSED; }
        return tokens;
    }

    /** llama.cpp's name for the pre-tokenizer of a tokenizer.json, or null when it has none for it. */
    static String preName(JsonNode pre) {
        String regex = null;
        boolean byteLevelRegex = false;
        List<JsonNode> parts = new ArrayList<>();
        if ("Sequence".equals(pre.path("type").asText())) pre.path("pretokenizers").forEach(parts::add);
        else parts.add(pre);
        for (JsonNode p : parts) {
            switch (p.path("type").asText()) {
                case "Split" -> regex = p.path("pattern").path("Regex").asText(null);
                case "ByteLevel" -> byteLevelRegex = p.path("use_regex").asBoolean(true);
                default -> { return null; }
            }
        }
        if (regex == null) return byteLevelRegex ? "gpt-2" : null;
        if (regex.equals(LLAMA3_SPLIT)) return "llama-bpe";
        if (regex.equals(QWEN2_SPLIT)) return "qwen2";
        if (regex.equals(LING_SPLIT)) return "llada-moe";
        return null;
    }

    // ---- reading ----

    /** The tokenizer in the file's metadata, empty when it has none; errors name the file and the key. */
    static Optional<HfTokenizer> read(GgufFile g) throws IOException {
        String model = g.optString("tokenizer.ggml.model");
        if (model == null || model.equals("none") || model.equals("no_vocab")) return Optional.empty();
        if (!model.equals("gpt2") && !model.equals("llama"))
            throw new IOException(g.file() + ": metadata 'tokenizer.ggml.model' = \"" + model + "\" is not supported"
                    + " (gpt2, byte-level BPE, and llama, SentencePiece BPE); put the model's tokenizer.json beside the file");
        List<String> tokens = g.optArray("tokenizer.ggml.tokens", String.class, "strings");
        if (tokens == null) throw new IOException(g.file() + ": missing metadata 'tokenizer.ggml.tokens'");
        List<Long> types = g.optArray("tokenizer.ggml.token_type", Long.class, "integers");
        if (types != null && types.size() != tokens.size())
            throw new IOException(g.file() + ": metadata 'tokenizer.ggml.token_type' has " + types.size() + " entries for "
                    + tokens.size() + " tokens");
        if (model.equals("llama")) return Optional.of(sentencePiece(g, tokens, types));
        List<String> merges = g.optArray("tokenizer.ggml.merges", String.class, "strings");
        if (merges == null) throw new IOException(g.file() + ": missing metadata 'tokenizer.ggml.merges'");
        String pre = g.optString("tokenizer.ggml.pre");
        ObjectNode root = JSON.createObjectNode();
        root.set("pre_tokenizer", preTokenizer(g.file(), pre == null ? "default" : pre));
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        ObjectNode m = root.putObject("model");
        m.put("type", "BPE");
        ObjectNode vocab = m.putObject("vocab");
        ArrayNode added = root.putArray("added_tokens");
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            long type = types == null ? NORMAL : types.get(i);
            if (type == UNUSED || seen.putIfAbsent(t, i) != null) continue;
            if (type == CONTROL || type == USER_DEFINED) {
                ObjectNode a = added.addObject();
                a.put("id", i);
                a.put("content", t);
                a.put("special", type == CONTROL);
                a.put("normalized", false);
            }
            vocab.put(t, i);
        }
        ArrayNode ms = m.putArray("merges");
        for (String m2 : merges) ms.add(m2);
        postProcessor(g, root, tokens, false);
        return Optional.of(build(g, root));
    }

    /**
     * A SentencePiece BPE vocabulary ({@code tokenizer.ggml.model = "llama"}: Llama 2, TinyLlama, Mistral) as the
     * tokenizer.json that Hugging Face's converter writes for it: spaces become the word marker and a text gets one in
     * front ({@code add_space_prefix}, default true), the pieces merge pairwise by the score of what they merge into
     * (highest first; the merges are listed in that order), and characters outside the vocabulary fall back to the
     * {@code <0xHH>} byte pieces. Control and unknown pieces are special added tokens, user-defined ones plain added
     * tokens; BOS is added by default ({@code add_bos_token}), EOS when {@code add_eos_token} says so.
     */
    private static HfTokenizer sentencePiece(GgufFile g, List<String> tokens, List<Long> types) throws IOException {
        List<Number> scores = g.optArray("tokenizer.ggml.scores", Number.class, "numbers");
        if (scores != null && scores.size() != tokens.size())
            throw new IOException(g.file() + ": metadata 'tokenizer.ggml.scores' has " + scores.size() + " entries for "
                    + tokens.size() + " tokens");
        boolean spacePrefix = !Boolean.FALSE.equals(g.optBool("tokenizer.ggml.add_space_prefix"));
        ObjectNode root = JSON.createObjectNode();
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
        postProcessor(g, root, tokens, true);
        return build(g, root);
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
     * The BOS (and EOS) the file asks to add around a text, as a TemplateProcessing section; {@code bosByDefault} when
     * {@code add_bos_token} is absent (llama.cpp adds BOS by default for SentencePiece vocabularies).
     */
    private static void postProcessor(GgufFile g, ObjectNode root, List<String> tokens, boolean bosByDefault) throws IOException {
        Boolean addBos = g.optBool("tokenizer.ggml.add_bos_token"), addEos = g.optBool("tokenizer.ggml.add_eos_token");
        Integer bos = g.optInteger("tokenizer.ggml.bos_token_id"), eos = g.optInteger("tokenizer.ggml.eos_token_id");
        String b = (addBos == null ? bosByDefault : addBos) && bos != null && bos >= 0 && bos < tokens.size() ? tokens.get(bos) : null;
        String e = Boolean.TRUE.equals(addEos) && eos != null && eos >= 0 && eos < tokens.size() ? tokens.get(eos) : null;
        if (b == null && e == null) return;
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single"), pair = post.putArray("pair");
        for (String seq : new String[] {"A", "B"}) {
            int type = seq.equals("A") ? 0 : 1;
            if (b != null) {
                if (seq.equals("A")) single.addObject().putObject("SpecialToken").put("id", b).put("type_id", type);
                pair.addObject().putObject("SpecialToken").put("id", b).put("type_id", type);
            }
            if (seq.equals("A")) single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", seq).put("type_id", type);
            if (e != null) {
                if (seq.equals("A")) single.addObject().putObject("SpecialToken").put("id", e).put("type_id", type);
                pair.addObject().putObject("SpecialToken").put("id", e).put("type_id", type);
            }
        }
        ObjectNode st = post.putObject("special_tokens");
        for (String t : new String[] {b, e}) {
            if (t == null || st.has(t)) continue;
            ObjectNode o = st.putObject(t);
            o.put("id", t);
            o.putArray("ids").add(t.equals(b) ? bos : eos);
            o.putArray("tokens").add(t);
        }
    }

    private static HfTokenizer build(GgufFile g, ObjectNode root) throws IOException {
        try {
            return HfTokenizer.fromJson(root, g.file() + " (tokenizer metadata)");
        } catch (TokenizerFormatException e) {
            throw new IOException(g.file() + ": the tokenizer metadata do not form a tokenizer: " + e.getMessage(), e);
        }
    }

    private static JsonNode preTokenizer(Path file, String pre) throws IOException {
        ObjectNode seq = JSON.createObjectNode();
        String regex = switch (pre) {
            case "llama-bpe", "llama3", "llama-v3" -> LLAMA3_SPLIT;
            case "qwen2" -> QWEN2_SPLIT;
            case "llada-moe", "bailingmoe", "bailingmoe2" -> LING_SPLIT;
            case "gpt-2", "default" -> null;
            default -> throw new IOException(file + ": metadata 'tokenizer.ggml.pre' = \"" + pre + "\" is not a pre-tokenizer"
                    + " Unmask knows (llama-bpe, qwen2, llada-moe, gpt-2); put the model's tokenizer.json beside the file");
        };
        if (regex == null) {
            seq.put("type", "ByteLevel");
            seq.put("add_prefix_space", false);
            seq.put("use_regex", true);
            return seq;
        }
        seq.put("type", "Sequence");
        ArrayNode parts = seq.putArray("pretokenizers");
        ObjectNode split = parts.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode bl = parts.addObject();
        bl.put("type", "ByteLevel");
        bl.put("add_prefix_space", false);
        bl.put("use_regex", false);
        return seq;
    }
}
