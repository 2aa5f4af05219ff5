package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.serve.CancellationToken;
import org.unmask.serve.ChatConversation;
import org.unmask.text.ChatTemplate;
import org.unmask.serve.GenerationEngine;
import org.unmask.serve.GenerationRequest;
import org.unmask.serve.GenerationResult;
import org.unmask.serve.StepListener;
import org.unmask.serve.Vocabulary;
import org.unmask.serve.TestEngines;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ChatCommandTest {

    /** Records prompts and the text printed when each step arrives, around a fake engine. */
    static final class Recording implements GenerationEngine {
        final GenerationEngine inner;
        final List<int[]> prompts = new ArrayList<>();
        final List<Integer> outputLengthAtStep = new ArrayList<>();
        ByteArrayOutputStream out;

        Recording(GenerationEngine inner) { this.inner = inner; }
        @Override public String modelId() { return inner.modelId(); }
        @Override public Vocabulary vocabulary() { return inner.vocabulary(); }
        @Override public int maxGenLength() { return inner.maxGenLength(); }
        @Override public int maxSequenceLength() { return inner.maxSequenceLength(); }
        @Override public GenerationResult generate(GenerationRequest r, StepListener onStep, CancellationToken c) {
            prompts.add(r.promptIds().clone());
            return inner.generate(r, e -> { onStep.onStep(e); outputLengthAtStep.add(out.size()); }, c);
        }
    }

    @Test void multiTurnChatFollowsLladaConventionsAndPrintsBlocks(@TempDir Path dir) {
        String answer = "Hello from the fake model, block by block.";
        Recording engine = new Recording(TestEngines.fake(answer));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        engine.out = bytes;
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ByteArrayInputStream in = new ByteArrayInputStream("Hi\nAgain\n/exit\n".getBytes(StandardCharsets.UTF_8));
        int code = new CommandLine(new ChatCommand(d -> engine, in, out)).execute("--model", dir.toString(),
                "--gen-length", "64", "--steps", "64", "--block-length", "16");
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isZero();
        assertThat(text).containsSubsequence("> " + answer + "\n", "> " + answer + "\n", "> ");
        assertThat(engine.prompts).hasSize(2);

        Vocabulary vocab = engine.vocabulary();
        ChatConversation expected = new ChatConversation(ChatTemplate.llada(), vocab, null);
        int[] p1 = expected.prompt("Hi");
        assertThat(engine.prompts.get(0)).containsExactly(p1);
        int[] generated = vocab.tokenizer().encode(answer + "<|eot_id|>", false);
        expected.accept(p1, generated);
        assertThat(engine.prompts.get(1)).containsExactly(expected.prompt("Again"));
        // output grew while the steps ran (block by block), not only at the end
        assertThat(engine.outputLengthAtStep.stream().distinct().count()).isGreaterThan(2);
    }

    @Test void badSettingsAreNamed(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ChatCommand(d -> TestEngines.fake("x"), new ByteArrayInputStream(new byte[0]),
                new PrintStream(new ByteArrayOutputStream())));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--model", dir.toString(), "--gen-length", "64", "--block-length", "24");
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("does not divide");
    }

    @Test void serveReportsAMissingModelDirectory() {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("serve", "--model", "/nonexistent/model-dir", "--port", "0");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("/nonexistent/model-dir").contains("does not exist");
    }
}
