package org.unmask.serve;

import org.unmask.text.ChatTemplate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unmask.diffusion.FakeDenoiser;
import org.unmask.diffusion.Setting;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No combination of sampling fields may get a 5xx: a seeded fuzz of valid and invalid values, type errors and odd
 * combinations against the real HTTP server, {@link LladaEngine} and the diffusion sampler over a hash-logit
 * model. Every answer must be a 200 that ran to its end (no in-band error on a stream) or a 4xx naming a field.
 */
class SamplingFuzzTest {

    /** Fixed by default so a failure reproduces; -Dunmask.fuzz.seed / .requests / .seconds explore further. */
    static final long SEED = Long.getLong("unmask.fuzz.seed", 0x5EED_F022L);
    static final int REQUESTS = Integer.getInteger("unmask.fuzz.requests", 320);
    static final Duration BUDGET = Duration.ofSeconds(Integer.getInteger("unmask.fuzz.seconds", 90));
    static final int CONCURRENT = 4;   // sent together, so compatible requests share batches
    static final ObjectMapper JSON = new ObjectMapper();

    static UnmaskServer server;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll static void start() throws Exception {
        // vocabulary 192 covers the specials and ASCII of CharTokenizer; EOS wins from relative offset 40 on
        LladaEngine engine = new LladaEngine("fuzz", org.unmask.api.UnmaskModel.of(new FakeDenoiser(FakeDenoiser.config(192, 256), 11, 40, 4f), java.util.Optional.of(new CharTokenizer())), 4);
        server = UnmaskServer.start(engine, ChatTemplate.llada(), new ServerOptions("127.0.0.1", 0, 64, 4, 1 << 16));
    }

    @AfterAll static void stop() { if (server != null) server.close(); }

    /** Values per field: valid ones, out-of-range ones, wrong types, and null (= absent). */
    static final Map<String, Object[]> VALUES = new LinkedHashMap<>();
    static {
        VALUES.put("max_tokens", new Object[]{8, 16, 32, 48, 64, 0, -3, 300, "16", 1.5, null});
        VALUES.put(Setting.STEPS.key(), new Object[]{1, 2, 4, 8, 16, 32, 64, 128, 3, 0, -1, 100_000, 2_147_483_648L, "8", 2.0, true, null});
        VALUES.put(Setting.BLOCK_LENGTH.key(), new Object[]{4, 8, 16, 32, 64, 5, 0, -8, "x", null});
        VALUES.put(Setting.REMASKING.key(), new Object[]{"low_confidence", "random", "origin", "maskgit_plus", "topk_margin",
                "entropy", "MASKGIT-PLUS", "best", "", 3, null});
        VALUES.put(Setting.TEMPERATURE.key(), new Object[]{0, 0.5, 1, 2, 2.5, -1, 1e-300, 1e300, "hot", null});
        VALUES.put(Setting.CFG_SCALE.key(), new Object[]{0, 0.5, 2, 1000, 1001, -1, 1e300, "x", null});
        VALUES.put(Setting.THRESHOLD.key(), new Object[]{0, 0.5, 0.9, 1, 1.5, -0.1, 1e-300, "x", null});
        VALUES.put(Setting.FACTOR.key(), new Object[]{0, 1, 4, -1, 1e300, "x", null});
        VALUES.put(Setting.TOP_P.key(), new Object[]{1, 0.9, 0.1, 0, 1.5, -1, "x", null});
        VALUES.put(Setting.TOP_K.key(), new Object[]{0, 1, 5, 1000, -1, 1.5, "x", null});
        VALUES.put(Setting.ALG_TEMP.key(), new Object[]{0, 0.1, 1, -1, 1e-300, 1e300, "x", null});
        VALUES.put(Setting.EPS.key(), new Object[]{1e-3, 0.5, 0, 1, 1e-40, 1e-50, 2, "x", null});
        VALUES.put(Setting.LOGITS_EOS_INF.key(), new Object[]{true, false, 1, "yes", null});
        VALUES.put(Setting.CONFIDENCE_EOS_EOT_INF.key(), new Object[]{true, false, "no", null});
        VALUES.put(Setting.REMDM.key(), new Object[]{"cap", "rescale", "conf", "CONF", "none", 1, false, null});
        VALUES.put(Setting.REMDM_ETA.key(), new Object[]{0.02, 0.5, 1, 0, 2, -1, "x", null});
        VALUES.put(Setting.REMDM_WINDOW.key(), new Object[]{1, 0.5, 0.25, 0, 1.5, "x", null});
        VALUES.put(Setting.REMDM_LOOP.key(), new Object[]{true, false, "true", null});
        VALUES.put(Setting.BLOCK_CAUSAL.key(), new Object[]{true, false, 1, "yes", null});
        VALUES.put(Setting.EDITING_THRESHOLD.key(), new Object[]{0, 0.5, 0.9, 1, 1.5, -0.1, 1e-300, "x", null});
        VALUES.put(Setting.MAX_POST_STEPS.key(), new Object[]{0, 4, 16, 64, 65, -1, 1.5, "x", null});
        VALUES.put(Setting.SEED.key(), new Object[]{0, 1, -5, Long.MAX_VALUE, 1e20, "s", null});
        VALUES.put("stream", new Object[]{true, false, null});
    }

    /** Fields a 4xx may name: the sampling keys, the generation length and the OpenAI fields a body here holds. */
    static final Set<String> FIELDS = new HashSet<>(VALUES.keySet());
    static {
        FIELDS.addAll(List.of("max_completion_tokens", "prompt", "messages"));
        for (Setting s : Setting.values()) FIELDS.add(s.key());
    }

    static final String[] PATHS = {"/v1/completions", "/v1/chat/completions", "/v1/unmask/stream"};

    /**
     * A random body. Half start from a valid combination (so that every algorithm really runs) and get up to two
     * fields overwritten from {@link #VALUES}; the other half are drawn field by field from {@link #VALUES}.
     */
    static ObjectNode randomBody(Random rnd, String path) {
        ObjectNode body = rnd.nextBoolean() ? validSettings(rnd) : JSON.createObjectNode();
        boolean fromScratch = body.isEmpty();
        List<String> fields = new ArrayList<>(VALUES.keySet());
        if (fromScratch) {
            for (String f : fields) if (rnd.nextDouble() < 0.3) put(body, f, pick(rnd, VALUES.get(f)));
        } else {
            for (int k = rnd.nextInt(3); k > 0; k--) {
                String f = fields.get(rnd.nextInt(fields.size()));
                put(body, f, pick(rnd, VALUES.get(f)));
            }
        }
        if (path.contains("chat")) body.putArray("messages").addObject().put("role", "user").put("content", "Hi there");
        else body.put("prompt", "Once upon a time");
        if (!body.has("max_tokens")) body.put("max_tokens", 32);   // keep runs short
        return body;
    }

    /** A combination the sampler accepts, over every algorithm and option. */
    static ObjectNode validSettings(Random rnd) {
        ObjectNode b = JSON.createObjectNode();
        int gen = pick(rnd, new Integer[]{16, 32, 64});
        int block = pick(rnd, new Integer[]{8, 16, gen});
        int blocks = gen / block;
        b.put("max_tokens", gen).put("block_length", block).put("steps", blocks * pick(rnd, new Integer[]{1, 2, 4, 8}));
        String rm = pick(rnd, new String[]{"low_confidence", "random", "origin", "maskgit_plus", "topk_margin", "entropy"});
        b.put("remasking", rm);
        boolean dream = !rm.equals("low_confidence") && !rm.equals("random");
        if (rnd.nextBoolean()) b.put("temperature", pick(rnd, new Double[]{0.0, 0.3, 1.0, 2.0, 1e-300}));
        if (rnd.nextDouble() < 0.3) b.put("cfg_scale", pick(rnd, new Double[]{0.5, 2.0, 1000.0}));
        boolean parallel = (rm.equals("low_confidence") || rm.equals("maskgit_plus")) && rnd.nextDouble() < 0.4;
        if (parallel && rnd.nextBoolean()) b.put("threshold", pick(rnd, new Double[]{0.5, 0.9, 1.0, 1e-300}));
        else if (parallel) b.put("factor", pick(rnd, new Double[]{0.5, 1.0, 4.0, 1e300}));
        if (dream) {
            if (rnd.nextBoolean()) b.put("top_p", pick(rnd, new Double[]{0.9, 1.0, 1e-300}));
            if (rnd.nextBoolean()) b.put("top_k", pick(rnd, new Integer[]{1, 5, 1000}));
            if (rnd.nextBoolean()) b.put("alg_temp", pick(rnd, new Double[]{0.1, 1.0, 1e-300, 1e300}));
            if (rnd.nextBoolean()) b.put("eps", pick(rnd, new Double[]{1e-3, 0.5, 1e-40}));
        }
        if (rnd.nextDouble() < 0.2) b.put("logits_eos_inf", true);
        if (rm.equals("low_confidence") && rnd.nextDouble() < 0.3) b.put("confidence_eos_eot_inf", true);
        if (!dream && !parallel && rnd.nextDouble() < 0.4) {
            b.put("remdm", pick(rnd, new String[]{"cap", "rescale", "conf"}));
            if (rnd.nextBoolean()) b.put("remdm_eta", pick(rnd, new Double[]{0.02, 0.5, 1.0}));
            double window = pick(rnd, new Double[]{1.0, 0.5, 0.25});
            b.put("remdm_window", window);
            if (window < 1 && b.get("steps").asInt() / blocks >= 2 && rnd.nextBoolean()) b.put("remdm_loop", true);
        } else if ((rm.equals("low_confidence") || rm.equals("maskgit_plus")) && !b.has("factor") && rnd.nextDouble() < 0.4) {
            // LLaDA 2.x: any generation length, steps per block, its own threshold, 2.1's editing
            b.put("block_causal", true);
            if (rnd.nextBoolean()) b.put("max_tokens", pick(rnd, new Integer[]{13, 20, 40}));
            if (rnd.nextBoolean()) b.put("editing_threshold", pick(rnd, new Double[]{0.5, 0.9, 1.0, 1e-300}));
            if (b.has("editing_threshold") && rnd.nextBoolean()) b.put("max_post_steps", pick(rnd, new Integer[]{0, 2, 64}));
        }
        if (rnd.nextBoolean()) b.put("seed", rnd.nextLong());
        if (rnd.nextDouble() < 0.3) b.put("stream", true);
        return b;
    }

    static <T> T pick(Random rnd, T[] values) { return values[rnd.nextInt(values.length)]; }

    static void put(ObjectNode body, String key, Object v) {
        switch (v) {
            case null -> body.putNull(key);
            case Integer i -> body.put(key, i);
            case Long l -> body.put(key, l);
            case Double d -> body.put(key, d);
            case Boolean b -> body.put(key, b);
            case String s -> body.put(key, s);
            default -> throw new IllegalArgumentException(String.valueOf(v));
        }
    }

    static CompletableFuture<HttpResponse<String>> post(String path, String body) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Asserts the answer is a complete 200 or a 4xx naming a field; returns the status. */
    static int check(String path, String body, HttpResponse<String> r) throws Exception {
        String what = path + " " + body + " -> " + r.statusCode() + " " + r.body();
        assertThat(r.statusCode()).as(what).isLessThan(500);
        if (r.statusCode() == 200) {
            boolean streamed = r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream");
            if (streamed) {
                assertThat(r.body()).as(what).doesNotContain("{\"error\"").endsWith("data: [DONE]\n\n");
                if (path.contains("unmask")) assertThat(r.body()).as(what).contains("\"type\":\"done\"");
            } else {
                assertThat(JSON.readTree(r.body()).get("choices").get(0).get("finish_reason").asText()).as(what)
                        .isIn("stop", "length");
            }
        } else {
            assertThat(r.statusCode()).as(what).isEqualTo(400);
            JsonNode err = JSON.readTree(r.body()).get("error");
            assertThat(err.get("type").asText()).as(what).isEqualTo("invalid_request_error");
            String param = err.get("param").asText();
            assertThat(param).as(what).isIn(FIELDS);
            if (!param.equals("prompt") && !param.equals("messages"))
                assertThat(err.get("message").asText()).as(what).contains(param);
        }
        return r.statusCode();
    }

    @Test void noCombinationOfSamplingFieldsGivesA5xx() throws Exception {
        Random rnd = new Random(SEED);
        long deadline = System.nanoTime() + BUDGET.toNanos();
        int sent = 0, ok = 0;
        Set<String> okRemasking = new HashSet<>(), badParams = new HashSet<>();
        List<String> failures = new ArrayList<>();
        while (sent < REQUESTS && System.nanoTime() < deadline) {
            List<String[]> group = new ArrayList<>();
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int k = 0; k < CONCURRENT; k++) {
                String path = PATHS[rnd.nextInt(PATHS.length)];
                ObjectNode body = randomBody(rnd, path);
                group.add(new String[]{path, body.toString()});
                answers.add(post(path, body.toString()));
            }
            for (int k = 0; k < CONCURRENT; k++) {
                HttpResponse<String> r = answers.get(k).get();
                String[] req = group.get(k);
                sent++;
                int status;
                try {
                    status = check(req[0], req[1], r);
                } catch (AssertionError e) {
                    failures.add(e.getMessage());
                    continue;
                }
                if (status == 200) {
                    ok++;
                    JsonNode rm = JSON.readTree(req[1]).get("remasking");
                    okRemasking.add(rm == null || rm.isNull() ? "low_confidence" : rm.asText().toLowerCase().replace('-', '_'));
                } else {
                    badParams.add(JSON.readTree(r.body()).get("error").get("param").asText());
                }
            }
        }
        System.out.printf("sampling fuzz, seed %d: %d requests, %d ran, 400s named %s, algorithms run %s%n",
                SEED, sent, ok, badParams, okRemasking);
        assertThat(failures).as("answers that were neither a complete 200 nor a 4xx naming a field").isEmpty();
        // the fuzz reached both sides: runs of every algorithm, and errors about many different fields
        assertThat(sent).isGreaterThanOrEqualTo(60);
        assertThat(ok).as("successful runs of %d", sent).isGreaterThan(sent / 4);
        assertThat(badParams.size()).as("%s", badParams).isGreaterThan(8);
        if (sent == REQUESTS) assertThat(okRemasking).as("algorithms that ran").hasSize(6);
    }

    // ---- cases that must hold whatever the fuzz draws ---------------------------------------------------------

    static HttpResponse<String> send(String path, String body) throws Exception {
        HttpResponse<String> r = post(path, body).get();
        check(path, body, r);
        return r;
    }

    @Test void randomRemaskingWithAThresholdIsA400NamingThreshold() throws Exception {
        HttpResponse<String> r = send("/v1/completions", "{\"prompt\":\"x\",\"remasking\":\"random\",\"threshold\":0.9}");
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode err = JSON.readTree(r.body()).get("error");
        assertThat(err.get("param").asText()).isEqualTo("threshold");
        assertThat(err.get("message").asText()).contains("threshold", "remasking", "random");
    }

    @Test void theGenerationLengthIsNamedByTheFieldTheRequestUsed() throws Exception {
        HttpResponse<String> r = send("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"max_completion_tokens\":48,\"block_length\":32}");
        JsonNode err = JSON.readTree(r.body()).get("error");
        assertThat(err.get("param").asText()).isEqualTo("block_length");
        assertThat(err.get("message").asText()).isEqualTo("max_completion_tokens (48) must be a multiple of block_length (32)");
    }

    @Test void dreamAlgorithmsRun() throws Exception {
        for (String body : List.of(
                "{\"remasking\":\"origin\",\"temperature\":0.7,\"top_p\":0.9,\"seed\":3}",
                "{\"remasking\":\"maskgit_plus\",\"temperature\":0.5,\"top_k\":20,\"eps\":0.01}",
                "{\"remasking\":\"maskgit_plus\",\"threshold\":0.9}",
                "{\"remasking\":\"topk_margin\",\"alg_temp\":0.5,\"seed\":1}",
                "{\"remasking\":\"maskgit_plus\",\"factor\":1}",
                "{\"remasking\":\"entropy\",\"temperature\":0.2,\"logits_eos_inf\":true}")) {
            String b = body.replace("{", "{\"prompt\":\"Once\",\"max_tokens\":32,\"steps\":16,\"block_length\":16,");
            HttpResponse<String> r = send("/v1/completions", b);
            assertThat(r.statusCode()).as(b + " -> " + r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).get("usage").get("completion_tokens").asInt()).as(b).isBetween(0, 32);
        }
    }

    @Test void remdmRequestsRunAndRemaskRevealedTokens() throws Exception {
        for (String body : List.of(
                "{\"remdm\":\"cap\",\"remdm_eta\":0.5,\"temperature\":0.5,\"seed\":2}",
                "{\"remdm\":\"rescale\",\"remdm_window\":0.5,\"remasking\":\"random\"}",
                "{\"remdm\":\"conf\",\"remdm_eta\":0.3,\"remdm_window\":0.5,\"remdm_loop\":true,\"steps\":32}")) {
            String b = body.replace("{", "{\"prompt\":\"Once\",\"max_tokens\":32,\"block_length\":16,");
            HttpResponse<String> r = send("/v1/completions", b);
            assertThat(r.statusCode()).as(b + " -> " + r.body()).isEqualTo(200);
        }
        // on the unmasking stream a re-masked position turns back into null after it was shown
        String b = "{\"prompt\":\"Once\",\"max_tokens\":32,\"steps\":32,\"block_length\":32,\"remdm\":\"cap\","
                + "\"remdm_eta\":1,\"seed\":4}";
        HttpResponse<String> r = send("/v1/unmask/stream", b);
        assertThat(r.statusCode()).isEqualTo(200);
        boolean[] shown = new boolean[32];
        boolean remasked = false;
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: {\"type\":\"step\"")) continue;
            JsonNode tokens = JSON.readTree(line.substring(6)).get("tokens");
            for (int i = 0; i < 32; i++) {
                if (tokens.get(i).isNull()) remasked |= shown[i];
                else shown[i] = true;
            }
        }
        assertThat(remasked).isTrue();
        assertThat(Arrays.asList(r.body().split("\n"))).anyMatch(l -> l.contains("\"type\":\"done\""));
    }
}
