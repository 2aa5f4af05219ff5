package org.unmask.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.text.BpeTrainer;
import org.unmask.text.HfTokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small random Dream checkpoints written here byte by byte in the released Hugging Face layout (Dream-org/Dream-v0-*:
 * config.json with DreamConfig's fields, safetensors shards with an index, the Qwen2 tensor names, biases on q/k/v,
 * grouped-query attention, an untied head), independently of the code that reads them. Values are representable in
 * bf16, so the bf16 and f32 files hold the same model.
 */
public final class DreamCheckpoints {
    private DreamCheckpoints() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Sizes and ids of a checkpoint (head size = hidden / heads). */
    public record Shape(int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab, double ropeTheta,
                        int maskId, int eosId) {
        public int headDim() { return hidden / heads; }
    }

    /** Two layers, 4 query heads sharing 2 key/value heads of 8, vocabulary 64 (mask 63, EOS 0). */
    public static final Shape TINY = new Shape(32, 2, 4, 2, 48, 64, 1_000_000.0, 63, 0);

    /** The tensors of {@code s} in the released names and shapes, in checkpoint order. */
    public static Map<String, long[]> shapes(Shape s) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = s.hidden(), q = (long) s.heads() * s.headDim(), kv = (long) s.kvHeads() * s.headDim(), i = s.intermediate();
        m.put("model.embed_tokens.weight", new long[]{s.vocab(), d});
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            m.put(p + "input_layernorm.weight", new long[]{d});
            m.put(p + "self_attn.q_proj.weight", new long[]{q, d});
            m.put(p + "self_attn.q_proj.bias", new long[]{q});
            m.put(p + "self_attn.k_proj.weight", new long[]{kv, d});
            m.put(p + "self_attn.k_proj.bias", new long[]{kv});
            m.put(p + "self_attn.v_proj.weight", new long[]{kv, d});
            m.put(p + "self_attn.v_proj.bias", new long[]{kv});
            m.put(p + "self_attn.o_proj.weight", new long[]{d, q});
            m.put(p + "post_attention_layernorm.weight", new long[]{d});
            m.put(p + "mlp.gate_proj.weight", new long[]{i, d});
            m.put(p + "mlp.up_proj.weight", new long[]{i, d});
            m.put(p + "mlp.down_proj.weight", new long[]{d, i});
        }
        m.put("model.norm.weight", new long[]{d});
        m.put("lm_head.weight", new long[]{s.vocab(), d});
        return m;
    }

    /** Random values for every tensor: norms near 1, biases and matrices around 0, all exactly representable in bf16. */
    public static Map<String, float[]> values(Shape s, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(s).entrySet()) {
            long n = 1;
            for (long x : e.getValue()) n *= x;
            float[] a = new float[(int) n];
            boolean norm = e.getKey().endsWith("norm.weight"), bias = e.getKey().endsWith(".bias");
            double std = norm ? 0.1 : bias ? 0.3 : 0.25;
            for (int i = 0; i < a.length; i++) a[i] = bf16((norm ? 1 : 0) + std * r.nextGaussian());
            m.put(e.getKey(), a);
        }
        return m;
    }

    /** The value truncated to the 16 high bits of its float32 (a bf16 number, stored exactly by both dtypes). */
    static float bf16(double v) { return Float.intBitsToFloat(Float.floatToRawIntBits((float) v) & 0xffff0000); }

    /**
     * Writes {@code dir}: config.json as Dream-v0's (with {@code s}'s sizes), the tensors in {@code bf16} or f32 split
     * over two shards with model.safetensors.index.json. Returns the values written.
     */
    public static Map<String, float[]> write(Path dir, Shape s, boolean bf16, long seed) throws IOException {
        Files.createDirectories(dir);
        Map<String, float[]> values = values(s, seed);
        writeConfig(dir.resolve("config.json"), s, bf16 ? "bfloat16" : "float32");
        Map<String, long[]> shapes = shapes(s);
        List<String> names = new ArrayList<>(shapes.keySet());
        int cut = names.size() / 2;
        String[] files = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
        ObjectNode weightMap = JSON.createObjectNode();
        long total = 0;
        for (int f = 0; f < 2; f++) {
            List<String> part = f == 0 ? names.subList(0, cut) : names.subList(cut, names.size());
            total += writeSafetensors(dir.resolve(files[f]), part, shapes, values, bf16);
            for (String n : part) weightMap.put(n, files[f]);
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        index.set("weight_map", weightMap);
        Files.writeString(dir.resolve("model.safetensors.index.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index));
        return values;
    }

    /**
     * A Qwen2ForCausalLM directory (Qwen2.5's class, the block Dream keeps): Dream's tensors in f32 under the causal
     * LM's config.json, which names no mask. Returns the values written.
     */
    public static Map<String, float[]> writeQwen2(Path dir, Shape s, long seed) throws IOException {
        Map<String, float[]> values = write(dir, s, false, seed);
        ObjectNode c = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        c.putArray("architectures").add("Qwen2ForCausalLM");
        c.put("model_type", "qwen2");
        c.remove("auto_map");
        c.remove("mask_token_id");
        Files.writeString(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c));
        return values;
    }

    /** Dream-v0's config.json fields (DiffuCoder's values where they are not sizes). */
    public static void writeConfig(Path file, Shape s, String dtype) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("DreamModel");
        c.put("model_type", "Dream");
        ObjectNode autoMap = c.putObject("auto_map");
        autoMap.put("AutoConfig", "configuration_dream.DreamConfig");
        autoMap.put("AutoModel", "modeling_dream.DreamModel");
        c.put("attention_dropout", 0.0);
        c.put("bos_token_id", s.eosId());
        c.put("eos_token_id", s.eosId());
        c.put("pad_token_id", s.eosId());
        c.put("mask_token_id", s.maskId());
        c.put("hidden_act", "silu");
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.intermediate());
        c.put("initializer_range", 0.02);
        c.put("max_position_embeddings", 131072);
        c.put("max_window_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_hidden_layers", s.layers());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("rms_norm_eps", 1e-6);
        c.putNull("rope_scaling");
        c.put("rope_theta", s.ropeTheta());
        c.putNull("sliding_window");
        c.put("use_sliding_window", false);
        c.put("tie_word_embeddings", false);
        c.put("torch_dtype", dtype);
        c.put("transformers_version", "4.46.2");
        c.put("use_cache", false);
        c.put("vocab_size", s.vocab());
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c));
    }

    /** A safetensors file: 8-byte little-endian header length, JSON header, then the tensors back to back. */
    private static long writeSafetensors(Path file, List<String> names, Map<String, long[]> shapes,
                                         Map<String, float[]> values, boolean bf16) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        int width = bf16 ? 2 : 4;
        for (String n : names) {
            ObjectNode t = header.putObject(n);
            t.put("dtype", bf16 ? "BF16" : "F32");
            ArrayNode shape = t.putArray("shape");
            for (long x : shapes.get(n)) shape.add(x);
            long bytes = (long) values.get(n).length * width;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (String n : names) {
            for (float v : values.get(n)) {
                if (bf16) b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                else b.putFloat(v);
            }
        }
        Files.write(file, b.array());
        return offset;
    }

    /**
     * Adds a byte-level BPE tokenizer.json trained on {@code documents} (our special tokens first, so EOS
     * {@code <|endoftext|>} is 0) plus Qwen2.5's {@code <|im_start|>}, {@code <|im_end|>} and Dream's {@code <|mask|>}
     * after the vocabulary, and returns the tokenizer; the checkpoint's vocabulary must cover it.
     */
    public static HfTokenizer writeTokenizer(Path dir, List<String> documents, int bpeVocab) throws IOException {
        ObjectNode json = (ObjectNode) BpeTrainer.trainJson(documents, bpeVocab);
        ArrayNode added = (ArrayNode) json.get("added_tokens");
        for (String t : List.of("<|im_start|>", "<|im_end|>", "<|mask|>")) {
            ObjectNode a = added.addObject();
            a.put("id", -1);   // assigned after the vocabulary on load, as the reference library does
            a.put("content", t);
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", true);
        }
        Path file = dir.resolve("tokenizer.json");
        Files.createDirectories(dir);
        Files.writeString(file, JSON.writeValueAsString(json));
        return HfTokenizer.load(file);
    }

    /**
     * Dream-v0-Instruct's chat template as its tokenizer_config.json carries it: Qwen2.5's ChatML template (tools branch
     * included) with the default system prompt "You are a helpful assistant.".
     */
    public static final String CHATML_TEMPLATE = String.join("\n",
            "{%- if tools %}",
            "    {{- '<|im_start|>system\\n' }}",
            "    {%- if messages[0]['role'] == 'system' %}",
            "        {{- messages[0]['content'] }}",
            "    {%- else %}",
            "        {{- 'You are a helpful assistant.' }}",
            "    {%- endif %}",
            "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>\" }}",
            "    {%- for tool in tools %}",
            "        {{- \"\\n\" }}",
            "        {{- tool | tojson }}",
            "    {%- endfor %}",
            "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}",
            "{%- else %}",
            "    {%- if messages[0]['role'] == 'system' %}",
            "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}",
            "    {%- else %}",
            "        {{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}",
            "    {%- endif %}",
            "{%- endif %}",
            "{%- for message in messages %}",
            "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\" and not message.tool_calls) %}",
            "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}",
            "    {%- elif message.role == \"assistant\" %}",
            "        {{- '<|im_start|>' + message.role }}",
            "        {%- if message.content %}",
            "            {{- '\\n' + message.content }}",
            "        {%- endif %}",
            "        {%- for tool_call in message.tool_calls %}",
            "            {%- if tool_call.function is defined %}",
            "                {%- set tool_call = tool_call.function %}",
            "            {%- endif %}",
            "            {{- '\\n<tool_call>\\n{\"name\": \"' }}",
            "            {{- tool_call.name }}",
            "            {{- '\", \"arguments\": ' }}",
            "            {{- tool_call.arguments | tojson }}",
            "            {{- '}\\n</tool_call>' }}",
            "        {%- endfor %}",
            "        {{- '<|im_end|>\\n' }}",
            "    {%- elif message.role == \"tool\" %}",
            "        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}",
            "            {{- '<|im_start|>user' }}",
            "        {%- endif %}",
            "        {{- '\\n<tool_response>\\n' }}",
            "        {{- message.content }}",
            "        {{- '\\n</tool_response>' }}",
            "        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}",
            "            {{- '<|im_end|>\\n' }}",
            "        {%- endif %}",
            "    {%- endif %}",
            "{%- endfor %}",
            "{%- if add_generation_prompt %}",
            "    {{- '<|im_start|>assistant\\n' }}",
            "{%- endif %}",
            "");

    /** tokenizer_config.json with the ChatML template and Dream's special tokens. */
    public static void writeTokenizerConfig(Path dir) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("bos_token", (String) null);
        c.put("eos_token", "<|endoftext|>");
        c.put("pad_token", "<|endoftext|>");
        c.put("mask_token", "<|mask|>");
        c.put("chat_template", CHATML_TEMPLATE);
        c.put("model_max_length", 131072);
        c.put("tokenizer_class", "DreamTokenizer");
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c));
    }
}
