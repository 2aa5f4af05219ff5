package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.data.SftExamples;
import org.unmask.diffusion.FakeDenoiser;
import org.unmask.serve.LladaEngine;
import org.unmask.serve.ServerOptions;
import org.unmask.serve.UnmaskServer;
import org.unmask.text.ChatMessage;
import org.unmask.text.ChatTemplate;
import org.unmask.text.Tokenizer;
import picocli.CommandLine;

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
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** One conversation, one prompt: fine-tuning, {@code generate --chat}, {@code chat} and the server render it alike. */
class ChatPromptConsistencyTest {

    static final String USER = "Hi there";
    static final String LLADA_PROMPT = "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n";

    /** The command tests' tokenizer, remembering every text it was asked to encode. */
    static final class Recorder implements Tokenizer {
        final CharTokenizer inner = new CharTokenizer();
        final List<String> encoded = new CopyOnWriteArrayList<>();

        @Override public int[] encode(String text, boolean addSpecialTokens) {
            encoded.add(text);
            return inner.encode(text, addSpecialTokens);
        }
        @Override public String decode(int[] ids, boolean skipSpecialTokens) { return inner.decode(ids, skipSpecialTokens); }
        @Override public int vocabSize() { return inner.vocabSize(); }
        @Override public OptionalInt tokenId(String token) { return inner.tokenId(token); }
        @Override public String token(int id) { return inner.token(id); }
    }

    /** The model as loading {@code modelDir} gives it: the test denoiser, with the directory's chat template. */
    static org.unmask.api.UnmaskModel model(Tokenizer tok, Path modelDir) throws java.io.IOException {
        return org.unmask.api.UnmaskModel.of(new FakeDenoiser(16, 21), Optional.of(tok), ChatTemplate.load(modelDir));
    }

    static LladaEngine engine(Tokenizer tok, Path modelDir) throws java.io.IOException {
        return new LladaEngine("fake", model(tok, modelDir), 1);
    }

    static String sftPrompt() {
        Recorder tok = new Recorder();
        SftExamples.encode(List.of(new ChatMessage("user", USER), new ChatMessage("assistant", "Hello")), tok);
        return tok.encoded.getFirst();
    }

    static String generateChatPrompt(Path modelDir) throws Exception {
        Recorder tok = new Recorder();
        GenerateCommand g = new GenerateCommand();
        new CommandLine(g).parseArgs("--model", modelDir.toString(), "--prompt", USER, "--chat", "--gen-length", "4", "--steps", "4");
        g.run(model(tok, modelDir), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        return tok.encoded.getFirst();
    }

    static String chatCommandPrompt(Path modelDir) throws java.io.IOException {
        Recorder tok = new Recorder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteArrayInputStream in = new ByteArrayInputStream((USER + "\n/exit\n").getBytes(StandardCharsets.UTF_8));
        int code = new CommandLine(new ChatCommand(d -> engine(tok, modelDir), in, new PrintStream(bytes, true, StandardCharsets.UTF_8)))
                .execute("--model", modelDir.toString(), "--gen-length", "4", "--steps", "4", "--block-length", "4");
        assertThat(code).as(bytes.toString(StandardCharsets.UTF_8)).isZero();
        return tok.encoded.getFirst();
    }

    /** The server as {@code unmask serve} starts it: the model directory's template over the model's engine. */
    static String serverPrompt(Path modelDir) throws Exception {
        Recorder tok = new Recorder();
        LladaEngine engine = engine(tok, modelDir);
        try (UnmaskServer server = UnmaskServer.start(engine, engine.chatTemplate(),
                new ServerOptions("127.0.0.1", 0, 4, 1, 1 << 20))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"" + USER + "\"}],"
                            + "\"max_tokens\":4,\"steps\":4,\"block_length\":4}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        return tok.encoded.getFirst();
    }

    @Test void withoutAModelTemplateAllFourRenderTheLladaPrompt(@TempDir Path modelDir) throws Exception {
        assertThat(sftPrompt()).isEqualTo(LLADA_PROMPT);
        assertThat(generateChatPrompt(modelDir)).isEqualTo(LLADA_PROMPT);
        assertThat(chatCommandPrompt(modelDir)).isEqualTo(LLADA_PROMPT);
        assertThat(serverPrompt(modelDir)).isEqualTo(LLADA_PROMPT);
    }

    @Test void aFineTunedModelIsPromptedExactlyAsItWasTrained(@TempDir Path modelDir) throws Exception {
        SftExamples.TEMPLATE.install(modelDir);   // what `unmask sft` leaves in its run directory
        String trained = sftPrompt();
        assertThat(generateChatPrompt(modelDir)).isEqualTo(trained);
        assertThat(chatCommandPrompt(modelDir)).isEqualTo(trained);
        assertThat(serverPrompt(modelDir)).isEqualTo(trained);
    }

    @Test void theModelsOwnTemplateWinsEverywhereAtInference(@TempDir Path modelDir) throws Exception {
        Files.writeString(modelDir.resolve("tokenizer_config.json"), """
                {"bos_token": "<s>", "eos_token": "</s>",
                 "chat_template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\\n{% endfor %}{% if add_generation_prompt %}[assistant]:{% endif %}"}
                """);
        String expected = "<s>[user] Hi there\n[assistant]:";
        assertThat(generateChatPrompt(modelDir)).isEqualTo(expected);
        assertThat(chatCommandPrompt(modelDir)).isEqualTo(expected);
        assertThat(serverPrompt(modelDir)).isEqualTo(expected);
    }
}
