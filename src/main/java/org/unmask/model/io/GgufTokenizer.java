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
 * A tokenizer in GGUF metadata as llama.cpp stores it, to and from the tokenizer.json form that {@link HfTokenizer}
 * reads: byte-level BPE here ({@code tokenizer.ggml.model = "gpt2"}: {@code tokens}, {@code token_type},
 * {@code merges}, {@code pre}, special ids), SentencePiece BPE ({@code "llama"}) in {@link GgufSentencePiece}. The pre-tokenizer is named in {@code tokenizer.ggml.pre} by llama.cpp's names
 * for the split regexes: {@code llama-bpe} (Llama 3), {@code qwen2}, {@code llada-moe} (the Ling tokenizer's, also
 * named {@code bailingmoe} and {@code bailingmoe2}), {@code gpt-2}.
 */
final class GgufTokenizer {
    private GgufTokenizer() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** The key of the chat template (Jinja source) in the metadata, as llama.cpp's converter writes it. */
    static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    /** llama.cpp's token types (SentencePiece's piece types). */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    /** SentencePiece's pieces for single bytes ({@code <0x0A>}), which stand for what it cannot spell otherwise. */
    static final java.util.regex.Pattern BYTE_PIECE = java.util.regex.Pattern.compile("<0x[0-9A-Fa-f]{2}>");

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
        Boolean spacePrefix = GgufSentencePiece.spacePrefix(tok);
        if (spacePrefix != null) {
            GgufSentencePiece.write(w, tok, vocabSize, addBos, spacePrefix);
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
     * The token of each of {@code vocabSize} rows from a tokenizer.json's vocabulary and added tokens, with llama.cpp's
     * type in {@code types}: special added tokens CONTROL, other added ones USER_DEFINED, rows the tokenizer lacks
     * {@code [PAD<id>]} and UNUSED as llama.cpp's converter writes them; for SentencePiece also the unknown piece
     * UNKNOWN and the {@code <0xHH>} pieces BYTE. A token id beyond the rows is refused.
     */
    static String[] rows(JsonNode tok, int vocabSize, int[] types, boolean sentencePiece) {
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
        if (model.equals("llama")) return Optional.of(GgufSentencePiece.read(g, tokens, types));
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
     * The BOS (and EOS) the file asks to add around a text, as a TemplateProcessing section; {@code bosByDefault} when
     * {@code add_bos_token} is absent (llama.cpp adds BOS by default for SentencePiece vocabularies).
     */
    static void postProcessor(GgufFile g, ObjectNode root, List<String> tokens, boolean bosByDefault) throws IOException {
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

    static HfTokenizer build(GgufFile g, ObjectNode root) throws IOException {
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
