package org.unmask.cli;

import org.unmask.api.Generation;
import org.unmask.diffusion.CacheMode;
import org.unmask.diffusion.SampleResult;
import org.unmask.api.UnmaskModel;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.StepListener;
import org.unmask.views.GifRecorder;
import org.unmask.views.TerminalView;
import org.unmask.views.TokenText;
import org.unmask.views.TraceRecorder;
import org.unmask.text.Tokenizer;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Runs the sampler for {@code generate} and {@code infill} with the requested views, then writes the outputs. */
final class SamplingRun {
    private SamplingRun() {}

    /** Samples, shows and saves; {@code wholeText} prints the whole canvas as text (infilling) instead of the continuation. */
    static List<Generation> run(UnmaskModel model, ViewOptions o, SamplerConfig cfg,
                                List<int[]> prompts, boolean wholeText, PrintWriter out, PrintWriter err) throws IOException {
        Optional<Tokenizer> tok = model.tokenizer();
        TokenText text = new TokenText(tok, cfg.maskId());
        TraceRecorder trace = o.trace == null ? null : new TraceRecorder();
        GifRecorder gif = o.gif == null ? null : new GifRecorder(text, 0, prompts.getFirst().length, o.gifDelayMs);
        TerminalView view = !o.animate ? null
                : new TerminalView(out, text, TerminalView.stdoutIsAnsiTerminal(), 0, cfg.parallelDecoding() || cfg.blockCausal() ? 0 : cfg.steps());
        StepListener listener = trace == null && gif == null && view == null ? null : StepListener.all(trace, gif, view);
        List<Generation> r = model.run(prompts, cfg, listener, wholeText);
        Generation first = r.getFirst();
        if (trace != null) trace.write(o.trace, cfg, new SampleResult(r.stream().map(Generation::canvas).toArray(int[][]::new),
                prompts.stream().mapToInt(p -> p.length).toArray(), first.forwardPasses(), first.steps(), first.cacheBytes()));
        if (gif != null) gif.write(o.gif);
        for (Generation g : r) {
            if (tok.isPresent()) out.println(g.text());
            else if (!o.printIds) out.println(Ids.format(g.tokens()));
        }
        if (o.printIds) for (Generation g : r) out.println(Ids.format(g.canvas()));
        out.flush();
        String cache = cfg.cache() == CacheMode.NONE ? "none"
                : String.format(Locale.ROOT, "%s %.1f MiB", cfg.cacheName(), first.cacheBytes() / 1048576.0);
        err.printf("unmask: %d steps, %d forward passes, %.2f s, cache %s%s%s%n", first.steps(), first.forwardPasses(),
                first.elapsed().toNanos() / 1e9, cache, trace != null ? ", trace " + o.trace : "", gif != null ? ", gif " + o.gif : "");
        err.flush();
        return r;
    }
}
