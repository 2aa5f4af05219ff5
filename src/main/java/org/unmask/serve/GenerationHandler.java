package org.unmask.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import org.unmask.diffusion.StepListener;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs a parsed request through the queue and answers it: OpenAI completion / chat completion JSON, their SSE
 * streams (text sent as the settled prefix grows, block by block), or the per-step unmasking stream.
 */
final class GenerationHandler {

    /** How often a waiting stream checks whether its client is still there. */
    private static final long POLL_MS = 250;

    private final GenerationEngine engine;
    private final GenerationQueue queue;
    private final Vocabulary vocab;

    GenerationHandler(GenerationEngine engine, GenerationQueue queue) {
        this.engine = engine;
        this.queue = queue;
        this.vocab = engine.vocabulary();
    }

    void handle(HttpExchange ex, ParsedRequest req) throws IOException {
        if (req.endpoint() == ParsedRequest.Endpoint.UNMASK) unmaskStream(ex, req);
        else if (req.stream()) openAiStream(ex, req);
        else openAiJson(ex, req);
    }

    private record Submitted(CompletableFuture<GenerationResult> result, CancellationToken token) {}

    private Submitted submit(GenerationRequest gen, StepListener listener, CancellationToken token) {
        try {
            return new Submitted(queue.submit(new GenerationJob(gen, listener, token)), token);
        } catch (QueueFullException e) {
            throw new ApiError(503, "server_error", e.getMessage(), null, "queue_full");
        }
    }

    private static GenerationResult await(CompletableFuture<GenerationResult> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", "The server is shutting down.", null, "shutting_down");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new ApiError(500, "server_error", "Generation failed: "
                    + (c.getMessage() == null ? c.toString() : c.getMessage()), null, "generation_failed");
        }
    }

    // ---- non-streaming -------------------------------------------------------------------------------------

    private void openAiJson(HttpExchange ex, ParsedRequest req) throws IOException {
        GenerationRequest gen = req.generation();
        AnswerTracker tracker = new AnswerTracker(gen.stop());
        CancellationToken token = new CancellationToken();
        // Stop the reverse process as soon as the settled text holds the whole answer.
        StepListener early = e -> {
            AnswerStep a = vocab.answerStep(e, gen.promptIds().length);
            synchronized (tracker) {
                tracker.update(a.text(), a.ended(), false);
                if (tracker.done()) token.cancel();
            }
        };
        GenerationResult r = await(submit(gen, early, token).result());
        synchronized (tracker) {
            finish(tracker, r);
        }
        if (!tracker.done()) throw new ApiError(503, "server_error", "The request was cancelled.", null, "cancelled");
        ObjectNode body = Exchanges.JSON.createObjectNode();
        boolean chat = req.endpoint() == ParsedRequest.Endpoint.CHAT;
        body.put("id", (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID());
        body.put("object", chat ? "chat.completion" : "text_completion");
        body.put("created", System.currentTimeMillis() / 1000);
        body.put("model", req.model());
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode msg = choice.putObject("message");
            msg.put("role", "assistant");
            msg.put("content", tracker.text());
        } else {
            choice.put("text", tracker.text());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", tracker.finishReason());
        body.set("usage", usage(gen, tracker, r));
        Exchanges.sendJson(ex, 200, body);
    }

    /** Feeds the final canvas to the tracker (a no-op when it already stopped early). */
    private void finish(AnswerTracker tracker, GenerationResult r) {
        if (tracker.done() || r.cancelled() && r.canvas().length == 0) return;
        int[] c = r.canvas();
        boolean end = vocab.endIndex(c, vocab.settledLength(c)) >= 0;
        if (!r.cancelled() || end) tracker.update(vocab.answerText(c), end, true);
    }

    private ObjectNode usage(GenerationRequest gen, AnswerTracker tracker, GenerationResult r) {
        int completion = tracker.stoppedByString()
                ? vocab.tokenizer().encode(tracker.text(), false).length
                : vocab.answerIds(r.canvas()).length;
        ObjectNode u = Exchanges.JSON.createObjectNode();
        u.put("prompt_tokens", gen.promptIds().length);
        u.put("completion_tokens", completion);
        u.put("total_tokens", gen.promptIds().length + completion);
        return u;
    }

    // ---- OpenAI streams ------------------------------------------------------------------------------------

    private void openAiStream(HttpExchange ex, ParsedRequest req) throws IOException {
        GenerationRequest gen = req.generation();
        LinkedBlockingQueue<AnswerStep> events = new LinkedBlockingQueue<>();
        CancellationToken token = new CancellationToken();
        AnswerStep[] lastQueued = new AnswerStep[1];
        StepListener listener = e -> {   // only text changes matter to these streams
            AnswerStep a = vocab.answerStep(e, gen.promptIds().length);
            AnswerStep prev = lastQueued[0];
            if (prev == null || !prev.text().equals(a.text()) || prev.ended() != a.ended()) {
                lastQueued[0] = a;
                events.add(a);
            }
        };
        Submitted s = submit(gen, listener, token);
        boolean chat = req.endpoint() == ParsedRequest.Endpoint.CHAT;
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        AnswerTracker tracker = new AnswerTracker(gen.stop());
        SseStream sse = new SseStream(ex);
        try {
            if (chat) sse.data(chunk(req, id, created, true, "", null));
            while (!tracker.done()) {
                AnswerStep e = events.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (e != null) {
                    String delta = tracker.update(e.text(), e.ended(), false);
                    if (!delta.isEmpty()) sse.data(chunk(req, id, created, false, delta, null));
                } else if (s.result().isDone() && events.isEmpty()) {
                    GenerationResult r = await(s.result());
                    if (r.cancelled() && r.canvas().length == 0) return;
                    String before = tracker.text();
                    finish(tracker, r);
                    if (!tracker.done()) return;   // cancelled elsewhere: nothing more to say
                    String delta = tracker.text().substring(Math.min(before.length(), tracker.text().length()));
                    if (!delta.isEmpty()) sse.data(chunk(req, id, created, false, delta, null));
                }
            }
            token.cancel();   // the answer is complete; free the engine from the remaining steps
            sse.data(chunk(req, id, created, false, null, tracker.finishReason()));
            if (req.includeUsage()) {
                GenerationResult r = await(s.result());
                ObjectNode u = chunk(req, id, created, false, null, null);
                u.putArray("choices");
                u.set("usage", usage(gen, tracker, r));
                sse.data(u);
            }
            sse.done();
        } catch (IOException gone) {
            token.cancel();   // the client disconnected: stop its generation at the next step
        } catch (InterruptedException e) {
            token.cancel();
            Thread.currentThread().interrupt();
        } catch (ApiError e) {
            token.cancel();
            sse.data(Exchanges.errorBody(e));   // headers are gone; report in-band as OpenAI does
        }
    }

    private ObjectNode chunk(ParsedRequest req, String id, long created, boolean role, String text, String finish) {
        boolean chat = req.endpoint() == ParsedRequest.Endpoint.CHAT;
        ObjectNode c = Exchanges.JSON.createObjectNode();
        c.put("id", id);
        c.put("object", chat ? "chat.completion.chunk" : "text_completion");
        c.put("created", created);
        c.put("model", req.model());
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (role) delta.put("role", "assistant");
            if (text != null) delta.put("content", text);
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.putNull("logprobs");
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finish);
        return c;
    }

    // ---- unmasking visualisation stream --------------------------------------------------------------------

    private void unmaskStream(HttpExchange ex, ParsedRequest req) throws IOException {
        GenerationRequest gen = req.generation();
        LinkedBlockingQueue<AnswerStep> events = new LinkedBlockingQueue<>();
        CancellationToken token = new CancellationToken();
        Submitted s = submit(gen, e -> events.add(vocab.answerStep(e, gen.promptIds().length)), token);
        SseStream sse = new SseStream(ex);
        Map<Integer, String> display = new HashMap<>();
        try {
            ObjectNode start = Exchanges.JSON.createObjectNode();
            start.put("type", "start");
            start.put("model", req.model());
            start.put("prompt_tokens", gen.promptIds().length);
            start.put("gen_length", gen.config().genLength());
            start.put("steps", gen.config().steps());
            start.put("block_length", gen.config().blockLength());
            start.put("mask", vocab.tokenizer().token(vocab.maskId()));
            sse.data(start);
            while (true) {
                AnswerStep e = events.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (e != null) {
                    sse.data(stepJson(e, gen.config().steps(), display));
                } else if (s.result().isDone() && events.isEmpty()) {
                    break;
                } else {
                    sse.comment("waiting");   // finds out early when a queued client has gone
                }
            }
            GenerationResult r = await(s.result());
            AnswerTracker tracker = new AnswerTracker(gen.stop());
            finish(tracker, r);
            ObjectNode done = Exchanges.JSON.createObjectNode();
            done.put("type", "done");
            done.put("text", tracker.text());
            done.put("finish_reason", r.cancelled() && !tracker.done() ? "cancelled" : tracker.finishReason());
            done.put("steps_run", r.stepsRun());
            done.set("usage", usage(gen, tracker, r));
            sse.data(done);
            sse.done();
        } catch (IOException gone) {
            token.cancel();
        } catch (InterruptedException e) {
            token.cancel();
            Thread.currentThread().interrupt();
        } catch (ApiError e) {
            token.cancel();
            sse.data(Exchanges.errorBody(e));
        }
    }

    private ObjectNode stepJson(AnswerStep e, int steps, Map<Integer, String> display) {
        ObjectNode o = Exchanges.JSON.createObjectNode();
        o.put("type", "step");
        o.put("step", e.step());
        o.put("steps", steps);
        ArrayNode tokens = o.putArray("tokens");
        for (int id : e.generated()) {
            if (id == vocab.maskId()) tokens.addNull();
            else tokens.add(display.computeIfAbsent(id, vocab::display));
        }
        ArrayNode rev = o.putArray("revealed");
        for (int p : e.revealed()) rev.add(p);
        o.put("text", e.text());
        return o;
    }
}
