package org.unmask.views;

import org.unmask.diffusion.StepEvent;
import org.unmask.diffusion.StepListener;

import java.io.PrintWriter;
import java.util.HashSet;
import java.util.Set;

/**
 * The {@code --animate} view of one batch row. On a terminal it redraws the canvas in place after every step: masked
 * positions as a dim block, tokens revealed in this step highlighted, with a step counter. Elsewhere (output
 * redirected, {@code TERM=dumb}) it prints one plain line per step listing what was committed.
 */
public final class TerminalView implements StepListener {
    private static final String DIM = "\033[2m", NEW = "\033[30;43m", REMASK = "\033[31m", RESET = "\033[0m";
    private static final String MASK_GLYPH = "░";

    private final PrintWriter out;
    private final TokenText text;
    private final boolean ansi;
    private final int row, totalSteps;
    private int drawnLines;

    /** A view of batch row {@code row}; {@code totalSteps} is shown in the counter (0 when unknown). */
    public TerminalView(PrintWriter out, TokenText text, boolean ansi, int row, int totalSteps) {
        this.out = out;
        this.text = text;
        this.ansi = ansi;
        this.row = row;
        this.totalSteps = totalSteps;
    }

    /** Whether standard output is an interactive terminal that understands ANSI escapes. */
    public static boolean stdoutIsAnsiTerminal() {
        var console = System.console();
        String term = System.getenv("TERM");
        return console != null && console.isTerminal() && term != null && !term.equals("dumb");
    }

    @Override
    public void onStep(StepEvent e) {
        for (StepEvent.RowStep r : e.rows()) {
            if (r.row() != row) continue;
            if (ansi) redraw(e, r); else line(e, r);
        }
    }

    private String counter(StepEvent e) {
        return "step " + (e.step() + 1) + (totalSteps > 0 ? "/" + totalSteps : "") + "  block " + e.block();
    }

    private void line(StepEvent e, StepEvent.RowStep r) {
        StringBuilder b = new StringBuilder(counter(e)).append(':');
        for (int i = 0; i < r.positions().length; i++)
            b.append(' ').append(r.positions()[i]).append('=').append(text.of(r.tokens()[i]));
        if (r.remasked().length > 0) b.append("  remasked ").append(java.util.Arrays.toString(r.remasked()));
        if (r.filled().length > 0) b.append("  early stop: ").append(r.filled().length).append(" positions set to EOS");
        out.println(b);
        out.flush();
    }

    private void redraw(StepEvent e, StepEvent.RowStep r) {
        Set<Integer> fresh = new HashSet<>(), back = new HashSet<>();
        for (int p : r.positions()) fresh.add(p);
        for (int p : r.filled()) fresh.add(p);
        for (int p : r.remasked()) back.add(p);
        StringBuilder b = new StringBuilder();
        if (drawnLines > 0) b.append("\033[").append(drawnLines).append("F\033[J");   // back to the top of the last frame
        b.append("\033[1m").append(counter(e)).append(RESET).append('\n');
        int[] c = r.canvas();
        for (int t = 0; t < c.length; t++) {
            if (c[t] == text.maskId()) b.append(back.contains(t) ? REMASK : DIM).append(MASK_GLYPH).append(RESET);
            else if (fresh.contains(t)) b.append(NEW).append(text.of(c[t])).append(RESET);
            else b.append(text.of(c[t]));
        }
        b.append('\n');
        String s = b.toString();
        int width = terminalWidth();
        drawnLines = 1 + Math.max(1, (visibleLength(s.substring(s.indexOf('\n') + 1)) + width - 1) / width);
        out.print(s);
        out.flush();
    }

    private static int terminalWidth() {
        try {
            String cols = System.getenv("COLUMNS");
            if (cols != null) return Math.max(20, Integer.parseInt(cols.trim()));
        } catch (NumberFormatException ignored) {
            // fall through to the default width
        }
        return 80;
    }

    /** Printable length of a line with ANSI escapes removed. */
    static int visibleLength(String s) {
        String plain = s.replaceAll("\033\\[[0-9;]*[A-Za-z]", "").replace("\n", "");
        return plain.codePointCount(0, plain.length());
    }
}
