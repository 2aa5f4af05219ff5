package org.unmask.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.DreamCheckpoints;
import org.unmask.model.ModelConfig;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.RandomInit;
import org.unmask.model.tensor.DType;
import org.unmask.serve.GenerationEngine;
import org.unmask.serve.ServerOptions;
import org.unmask.serve.UnmaskServer;
import org.unmask.text.ChatTemplate;
import org.unmask.text.HfTokenizer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/** Every command on a Dream model directory as released (config, shards, tokenizer, ChatML tokenizer_config.json). */
class DreamCommandsTest {

    @TempDir static Path tmp;
    static Path dir;
    static HfTokenizer tokenizer;
    static final List<String> DOCS = List.of("hello world, hello there. the cat sat on the mat. the dog sat on the log.");
    /** A vocabulary padded beyond the tokenizer's 273 tokens, as Dream's 152064 is; mask = <|mask|>, EOS 0. */
    static DreamCheckpoints.Shape shape;

    @BeforeAll static void writeModel() throws Exception {
        dir = tmp.resolve("Dream-v0-Instruct-tiny");
        tokenizer = DreamCheckpoints.writeTokenizer(dir, DOCS, 270);
        int mask = tokenizer.tokenId("<|mask|>").orElseThrow();
        shape = new DreamCheckpoints.Shape(32, 2, 4, 2, 48, 280, 1_000_000.0, mask, 0);
        DreamCheckpoints.write(dir, shape, true, 5);
        DreamCheckpoints.writeTokenizerConfig(dir);
    }

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /**
     * A Dream model fine-tunes in its own chat format (ChatML from its tokenizer_config.json) with its own mask
     * (<|mask|>), each masked answer token scored from the previous row (Dream's shift), and stays a Dream model.
     */
    @Test void sftFineTunesADreamModelInItsOwnChatFormat(@TempDir Path work) throws Exception {
        Path data = work.resolve("pairs.jsonl"), out = work.resolve("dream-sft");
        java.nio.file.Files.writeString(data, "{\"prompt\": \"hello there\", \"response\": \"the cat sat on the mat.\"}\n".repeat(8));
        Run r = run("sft", "--model", dir.toString(), "--data", data.toString(), "--out", out.toString(), "--max-steps", "2",
                "--batch", "2", "--seq-len", "64", "--cache", work.resolve("cache").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(ModelConfig.read(out.resolve("config.json")).family()).isSameAs(org.unmask.model.DreamFamily.INSTANCE);
        String template = java.nio.file.Files.readString(out.resolve("tokenizer_config.json"));
        assertThat(template).contains("<|im_start|>");
        // the fine-tuned model prompts in ChatML, as it was trained
        var chat = org.unmask.text.ChatTemplate.load(out);
        assertThat(chat.prompt(List.of(new org.unmask.text.ChatMessage("user", "hi")))).contains("<|im_start|>user");
    }

    @Test void infoPrintsTheFamilySizesIdsAndDefaults() {
        Run r = run("info", "--model", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        long params = 0;
        for (long[] s : DreamCheckpoints.shapes(shape).values()) {
            long n = 1;
            for (long x : s) n *= x;
            params += n;
        }
        int eot = tokenizer.tokenId("<|im_end|>").orElseThrow();
        assertThat(r.out().lines()).contains(
                "family: dream (DreamModel)",
                String.format(Locale.ROOT, "parameters: %,d", params),
                "layers: 2",
                "hidden size: 32",
                "attention: 4 query heads, 2 key/value heads, head size 8, rotary dims 8, rope theta 1000000, q/k/v bias yes, qk norm no, bidirectional",
                "feed-forward: SwiGLU, width 48",
                "vocabulary: 280, embedding rows 280, lm head untied",
                "rms norm eps: 1.0E-6",
                "max sequence length: 131072",
                "dtypes: bf16 (27 tensors)",
                "special ids: mask " + shape.maskId() + ", eos 0, eot " + eot + ", bos 0, pad 0",
                "generation defaults: remasking entropy, temperature 0.2, top_p 0.95, top_k 0, alg_temp 0, eps 0.001,"
                        + " steps = gen length, block length = gen length (the whole canvas at once)",
                "tokenizer: tokenizer.json, 273 tokens",
                "chat template: tokenizer_config.json");
        assertThat(r.out()).contains("logit shift: yes");
    }

    @Test void infoOnALladaDirectory(@TempDir Path llada) throws Exception {
        ModelConfig c = new ModelConfig(16, 2, 4, 2, 24, 40, 48, 32, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Checkpoint.saveSources(llada, c, RandomInit.tensors(c, 1), DType.F32, 1L << 30, null);
        Run r = run("info", "--model", llada.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines()).contains("family: llada (LLaDAModelLM)", "parameters: " + String.format(Locale.ROOT, "%,d", c.parameterCount()),
                "dtypes: f32 (21 tensors)", "special ids: mask 2, eos 0, eot none, bos 1, pad 0", "logit shift: no",
                "generation defaults: remasking low_confidence, temperature 0, top_p 1, top_k 0, alg_temp 0, eps 0.001,"
                        + " steps = gen length, block length = gen length (chat and serve: 32 when it divides)",
                "tokenizer: none (token ids only)", "chat template: LLaDA-style (no chat_template in tokenizer_config.json)");
        assertThat(r.out()).contains(", bidirectional").doesNotContain("autoregressive");
        // the same directory as an AR run left it: causal attention, one token per step
        java.nio.file.Files.writeString(llada.resolve("trainer_state.json"), "{\"objective\": \"ar\"}");
        Run ar = run("info", "--model", llada.toString());
        assertThat(ar.code()).as(ar.err()).isZero();
        assertThat(ar.out()).contains(", causal\n").contains("autoregressive: yes")
                .contains("block length = 1 (block-causal, one block after another)");
        // GGUF's llada architecture would hand its weights to a diffusion sampler: quantize writes llama's, and info says so
        Path gguf = llada.resolveSibling(llada.getFileName() + "-ar.gguf");
        Run q = run("quantize", "--model", llada.toString(), "--type", "q8_0", "--out", gguf.toString());
        assertThat(q.code()).as(q.err()).isZero();
        Run ggufInfo = run("info", "--model", gguf.toString());
        assertThat(ggufInfo.out()).contains("family: llama").contains(", causal\n").contains("autoregressive: yes");
    }

    /** The settings generate used, from its trace. */
    static JsonNode traceSettings(Path trace) throws Exception {
        return new ObjectMapper().readTree(trace.toFile()).get("settings");
    }

    @Test void generateUsesDreamsDefaultsUnlessTold() throws Exception {
        Path trace = tmp.resolve("trace.json");
        Run r = run("generate", "--model", dir.toString(), "--prompt", "hello", "--gen-length", "8", "--trace", trace.toString(),
                "--print-ids");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode s = traceSettings(trace);
        assertThat(s.get("remasking").asText()).isEqualTo("entropy");
        assertThat(s.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(s.get("top_p").asDouble()).isEqualTo(0.95);
        assertThat(s.get("eps").asDouble()).isCloseTo(1e-3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(s.get("steps").asInt()).isEqualTo(8);
        assertThat(s.get("block_length").asInt()).isEqualTo(8);
        String[] last = r.out().strip().lines().reduce((a, b) -> b).orElseThrow().split(" ");
        assertThat(last).hasSize(tokenizer.encode("hello", true).length + 8);

        // flags win; the family's top-p belongs to its Dream algorithm and is dropped with another remasking
        r = run("generate", "--model", dir.toString(), "--prompt-ids", "5 6", "--gen-length", "8", "--block-length", "4",
                "--remasking", "low_confidence", "--trace", trace.toString());
        assertThat(r.code()).as(r.err()).isZero();
        s = traceSettings(trace);
        assertThat(s.get("remasking").asText()).isEqualTo("low_confidence");
        assertThat(s.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(s.has("top_p")).isFalse();
        assertThat(s.get("block_length").asInt()).isEqualTo(4);
        r = run("generate", "--model", dir.toString(), "--prompt-ids", "5 6", "--gen-length", "8", "--temperature", "0",
                "--top-p", "0.5", "--trace", trace.toString());
        assertThat(r.code()).as(r.err()).isZero();
        s = traceSettings(trace);
        assertThat(s.get("temperature").asDouble()).isZero();
        assertThat(s.get("top_p").asDouble()).isEqualTo(0.5);
    }

    @Test void infillScoreAndEvalRun() throws Exception {
        Run r = run("infill", "--model", dir.toString(), "--text", "the cat [MASK:3] the mat.", "--print-ids");
        assertThat(r.code()).as(r.err()).isZero();
        String[] ids = r.out().strip().lines().reduce((a, b) -> b).orElseThrow().split(" ");
        for (String id : ids) assertThat(Integer.parseInt(id)).isNotEqualTo(shape.maskId());

        r = run("score", "--model", dir.toString(), "--prompt", "the cat sat", "--answer", " on the mat", "--mc-num", "4");
        assertThat(r.code()).as(r.err()).isZero();
        double ll = Double.parseDouble(r.out().strip().lines().reduce((a, b) -> b).orElseThrow().split(" ")[1]);
        assertThat(ll).isNegative().isFinite();

        Path corpus = tmp.resolve("corpus.txt");
        Files.writeString(corpus, DOCS.getFirst());
        r = run("eval", "--model", dir.toString(), "--corpus", corpus.toString(), "--seq-len", "16", "--grid", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("nll_bound_nats_per_token");
    }

    @Test void chatAnswersInTheChatMLFormat() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ChatCommand chat = new ChatCommand(d -> ModelDirs.engine(d, 1),
                new ByteArrayInputStream("hello\n/exit\n".getBytes(StandardCharsets.UTF_8)), out);
        var cl = new picocli.CommandLine(chat);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("--model", dir.toString(), "--gen-length", "8")).as(err.toString()).isZero();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("unmask chat with Dream-v0-Instruct-tiny");
        // the prompt chat sends: ChatML from the directory's tokenizer_config.json
        assertThat(ChatTemplate.load(dir).prompt(List.of(new org.unmask.text.ChatMessage("user", "hello"))))
                .startsWith("<|im_start|>system\n").endsWith("<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test void serveAnswersAChatCompletion() throws Exception {
        GenerationEngine engine = ModelDirs.engine(dir, 2);
        assertThat(engine.generationDefaults().remasking()).isEqualTo("entropy");
        try (UnmaskServer server = UnmaskServer.start(engine, ChatTemplate.load(dir), new ServerOptions("127.0.0.1", 0, 4, 2, 1 << 16))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}],"
                            + " \"max_tokens\": 8, \"seed\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(r.body()).at("/choices/0/message/content").isTextual()).isTrue();
        }
    }

    @Test void initWritesARandomModelInDreamsLayout(@TempDir Path out) throws Exception {
        Path cfg = out.resolve("dream-config.json");
        DreamCheckpoints.writeConfig(cfg, DreamCheckpoints.TINY, "bfloat16");
        Path model = out.resolve("model");
        Run r = run("init", "--config", cfg.toString(), "--out", model.toString(), "--dtype", "bf16", "--shard-size", "20KB");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(model.resolve("model.safetensors.index.json")).exists();
        JsonNode written = new ObjectMapper().readTree(model.resolve("config.json").toFile());
        assertThat(written.get("architectures").get(0).asText()).isEqualTo("DreamModel");
        assertThat(written.get("num_key_value_heads").asInt()).isEqualTo(2);
        assertThat(written.get("torch_dtype").asText()).isEqualTo("bfloat16");
        try (Checkpoint c = Checkpoint.open(model)) {
            var infos = c.tensorInfos();
            var expected = DreamCheckpoints.shapes(DreamCheckpoints.TINY);
            assertThat(infos.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            expected.forEach((name, shape) -> assertThat(infos.get(name).shape()).as(name).containsExactly(shape));
            var bias = c.tensors().get("model.layers.1.self_attn.v_proj.bias");
            var norm = c.tensors().get("model.layers.1.post_attention_layernorm.weight");
            for (int i = 0; i < bias.size(); i++) assertThat(bias.get(i)).isZero();
            for (int i = 0; i < norm.size(); i++) assertThat(norm.get(i)).isEqualTo(1f);
        }
    }
}
