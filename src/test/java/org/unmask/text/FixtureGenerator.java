package org.unmask.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the tokenizer.json fixtures under src/test/resources/tokenizers from the sample texts: a trained
 * byte-level BPE in the Llama-3, GPT-2 and Qwen forms, and two WordPiece tokenizers over a derived vocabulary.
 * Run it again only when the fixtures must change: {@code java ... org.unmask.text.FixtureGenerator DIR}.
 */
public final class FixtureGenerator {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/tokenizers");
        Files.createDirectories(dir);
        List<String> docs = sampleDocuments();
        ObjectNode trained = (ObjectNode) BpeTrainer.trainJson(docs, 900);
        write(dir.resolve("bpe-llama3.json"), llama3(trained.deepCopy()));
        write(dir.resolve("bpe-gpt2.json"), gpt2(trained.deepCopy(), false));
        write(dir.resolve("bpe-gpt2-prefix.json"), gpt2(trained.deepCopy(), true));
        write(dir.resolve("bpe-qwen.json"), qwen(trained.deepCopy()));
        write(dir.resolve("wordpiece-uncased.json"), wordPiece(docs, true));
        write(dir.resolve("wordpiece-cased.json"), wordPiece(docs, false));
    }

    static List<String> sampleDocuments() throws IOException {
        List<String> docs = new ArrayList<>();
        for (String name : List.of("sample.txt", "sample-unicode.txt")) {
            try (var in = FixtureGenerator.class.getResourceAsStream("/text/" + name)) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                docs.addAll(Collections.nCopies(3, text));
            }
        }
        return docs;
    }

    private static JsonNode llama3(ObjectNode t) {
        ((ObjectNode) t.get("model")).put("ignore_merges", true);
        addToken(t, 900, "<|reserved_special_token_0|>", false, false, false, false, true);
        // Llama-3 wraps its template in a Sequence with the ByteLevel offsets processor.
        ObjectNode seq = JSON.createObjectNode();
        seq.put("type", "Sequence");
        ArrayNode procs = seq.putArray("processors");
        procs.addObject().put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", false).put("use_regex", true);
        procs.add(t.get("post_processor"));
        t.set("post_processor", seq);
        return t;
    }

    private static JsonNode gpt2(ObjectNode t, boolean prefixSpace) {
        ObjectNode pre = JSON.createObjectNode();
        pre.put("type", "ByteLevel").put("add_prefix_space", prefixSpace).put("trim_offsets", true).put("use_regex", true);
        t.set("pre_tokenizer", pre);
        if (prefixSpace) {
            ObjectNode post = JSON.createObjectNode();
            post.put("type", "RobertaProcessing");
            post.putArray("sep").add("<|endoftext|>").add(0);
            post.putArray("cls").add("<|startoftext|>").add(1);
            post.put("trim_offsets", true).put("add_prefix_space", true);
            t.set("post_processor", post);
        } else {
            t.set("post_processor", JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", true)
                    .put("trim_offsets", false).put("use_regex", true));
        }
        // The older "a b" form of the merges.
        ArrayNode merges = JSON.createArrayNode();
        for (JsonNode m : t.get("model").get("merges")) merges.add(m.get(0).asText() + " " + m.get(1).asText());
        ((ObjectNode) t.get("model")).set("merges", merges);
        addToken(t, 900, "foo", true, false, false, true, false);
        addToken(t, 901, "[BAR]", false, true, true, false, true);
        return t;
    }

    private static JsonNode qwen(ObjectNode t) {
        t.set("normalizer", JSON.createObjectNode().put("type", "NFC"));
        ObjectNode pre = JSON.createObjectNode();
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", Regexes.QWEN2);
        split.put("behavior", "Isolated").put("invert", false);
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false).put("use_regex", false);
        t.set("pre_tokenizer", pre);
        t.set("post_processor", JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", false).put("use_regex", false));
        addToken(t, 900, "<tool_call>", false, false, false, false, false);
        addToken(t, 901, "</tool_call>", false, false, false, false, false);
        return t;
    }

    private static void addToken(ObjectNode t, int id, String content, boolean singleWord, boolean lstrip,
                                 boolean rstrip, boolean normalized, boolean special) {
        ObjectNode a = ((ArrayNode) t.get("added_tokens")).addObject();
        a.put("id", id).put("content", content).put("single_word", singleWord).put("lstrip", lstrip)
                .put("rstrip", rstrip).put("normalized", normalized).put("special", special);
    }

    /** A WordPiece vocabulary derived from the samples: specials, frequent characters, frequent words, suffixes. */
    private static JsonNode wordPiece(List<String> docs, boolean uncased) {
        Normalizer norm = new Normalizer.Bert(true, true, uncased, uncased);
        PreTokenizer pre = new PreTokenizer.Bert();
        Map<String, Integer> wordFreq = new HashMap<>();
        Map<Integer, Integer> charFreq = new TreeMap<>();
        for (String d : docs) {
            List<String> words = new ArrayList<>();
            pre.split(norm.normalize(d), words);
            for (String w : words) {
                wordFreq.merge(w, 1, Integer::sum);
                w.codePoints().forEach(c -> charFreq.merge(c, 1, Integer::sum));
            }
        }
        LinkedHashMap<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")) vocab.put(s, vocab.size());
        // Characters seen only once (most emoji, rare scripts) stay out, so [UNK] is exercised.
        charFreq.forEach((c, f) -> { if (f > 3) vocab.putIfAbsent(Character.toString(c), vocab.size()); });
        charFreq.forEach((c, f) -> { if (f > 3) vocab.putIfAbsent("##" + Character.toString(c), vocab.size()); });
        wordFreq.entrySet().stream()
                .filter(e -> e.getKey().length() > 1 && e.getValue() >= 6)
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(150)
                .forEach(e -> vocab.putIfAbsent(e.getKey(), vocab.size()));
        for (String s : List.of("##ing", "##ed", "##s", "##ly", "##er", "##tion", "##able", "un", "##believ", "##ll", "##re"))
            vocab.putIfAbsent(s, vocab.size());

        ObjectNode t = JSON.createObjectNode();
        t.put("version", "1.0");
        t.putNull("truncation");
        t.putNull("padding");
        ArrayNode added = t.putArray("added_tokens");
        for (String s : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")) {
            added.addObject().put("id", vocab.get(s)).put("content", s).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        ObjectNode n = t.putObject("normalizer");
        n.put("type", "BertNormalizer").put("clean_text", true).put("handle_chinese_chars", true);
        if (uncased) n.putNull("strip_accents"); else n.put("strip_accents", false);
        n.put("lowercase", uncased);
        t.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = t.putObject("post_processor");
        if (uncased) {
            post.put("type", "TemplateProcessing");
            ArrayNode single = post.putArray("single");
            single.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            single.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
            ArrayNode pair = post.putArray("pair");
            pair.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
            pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 1);
            ObjectNode st = post.putObject("special_tokens");
            for (String s : List.of("[CLS]", "[SEP]")) {
                ObjectNode e = st.putObject(s);
                e.put("id", s);
                e.putArray("ids").add(vocab.get(s));
                e.putArray("tokens").add(s);
            }
        } else {
            post.put("type", "BertProcessing");
            post.putArray("sep").add("[SEP]").add(vocab.get("[SEP]"));
            post.putArray("cls").add("[CLS]").add(vocab.get("[CLS]"));
        }
        t.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = t.putObject("model");
        model.put("type", "WordPiece").put("unk_token", "[UNK]").put("continuing_subword_prefix", "##")
                .put("max_input_chars_per_word", uncased ? 100 : 12);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        return t;
    }

    private static void write(Path file, JsonNode tree) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree) + "\n", StandardCharsets.UTF_8);
    }
}
