package org.unmask.cli;

import org.unmask.diffusion.SampleResult;
import org.unmask.diffusion.Sampler;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.StepListener;
import org.unmask.model.Denoiser;
import org.unmask.views.GifRecorder;
import org.unmask.views.TerminalView;
import org.unmask.views.TokenText;
import org.unmask.views.TraceRecorder;
import org.unmask.text.Tokenizer;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;

/** Runs the sampler for {@code generate} and {@code infill} with the requested views, then writes the outputs. */
final class SamplingRun {
    private SamplingRun() {}

    /** Samples, shows and saves; {@code wholeText} prints the whole canvas as text (infilling) instead of the continuation. */
    static SampleResult run(Denoiser model, Optional<Tokenizer> tok, ViewOptions o, SamplerConfig cfg,
                            List<int[]> prompts, boolean wholeText, PrintWriter out, PrintWriter err) throws IOException {
        TokenText text = new TokenText(tok, cfg.maskId());
        TraceRecorder trace = o.trace == null ? null : new TraceRecorder();
        GifRecorder gif = o.gif == null ? null : new GifRecorder(text, 0, prompts.getFirst().length, o.gifDelayMs);
        TerminalView view = !o.animate ? null
                : new TerminalView(out, text, TerminalView.stdoutIsAnsiTerminal(), 0, cfg.parallelDecoding() ? 0 : cfg.steps());
        StepListener listener = trace == null && gif == null && view == null ? null : StepListener.all(trace, gif, view);
        long t0 = System.nanoTime();
        SampleResult r = new Sampler(model, cfg).generate(prompts, listener);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (trace != null) trace.write(o.trace, cfg, r);
        if (gif != null) gif.write(o.gif);
        for (int j = 0; j < prompts.size(); j++) {
            int[] shown = wholeText ? r.sequences()[j] : r.generated(j);
            if (tok.isPresent()) out.println(tok.get().decode(shown, true));
            else if (!o.printIds) out.println(Ids.format(shown));
        }
        if (o.printIds) for (int[] seq : r.sequences()) out.println(Ids.format(seq));
        out.flush();
        err.printf("unmask: %d steps, %d forward passes, %.2f s%s%s%n", r.steps(), r.forwardPasses(), secs,
                trace != null ? ", trace " + o.trace : "", gif != null ? ", gif " + o.gif : "");
        err.flush();
        return r;
    }
}
