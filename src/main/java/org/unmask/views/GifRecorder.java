package org.unmask.views;

import org.unmask.diffusion.StepEvent;
import org.unmask.diffusion.StepListener;
import org.unmask.files.AtomicFile;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --gif} view: one frame per denoising step of one batch row, rendered with Java2D (tokens as text
 * cells, masked positions as grey blocks, tokens revealed in that step highlighted, re-masked ones outlined in red)
 * and written as a looping animated GIF with ImageIO.
 */
public final class GifRecorder implements StepListener {
    private static final int WIDTH = 720, PAD = 12, GAP = 3;
    private static final Color BG = new Color(250, 250, 247), INK = new Color(20, 20, 20), PROMPT = new Color(90, 90, 160),
            MASK = new Color(200, 200, 205), NEW = new Color(255, 214, 64), REMASK = new Color(200, 40, 40);

    private record Frame(int step, int block, int[] canvas, int[] fresh, int[] remasked) {}

    private final TokenText text;
    private final int row, promptLength, delayCs;
    private final List<Frame> frames = new ArrayList<>();

    /**
     * Records batch row {@code row}, whose prompt has {@code promptLength} tokens; each frame shows for
     * {@code delayMillis} (the last one four times as long).
     */
    public GifRecorder(TokenText text, int row, int promptLength, int delayMillis) {
        this.text = text;
        this.row = row;
        this.promptLength = promptLength;
        this.delayCs = Math.max(2, delayMillis / 10);
    }

    @Override
    public void onStep(StepEvent e) {
        for (StepEvent.RowStep r : e.rows()) {
            if (r.row() != row) continue;
            int[] fresh = new int[r.positions().length + r.filled().length];
            System.arraycopy(r.positions(), 0, fresh, 0, r.positions().length);
            System.arraycopy(r.filled(), 0, fresh, r.positions().length, r.filled().length);
            frames.add(new Frame(e.step(), e.block(), r.canvas().clone(), fresh, r.remasked()));
        }
    }

    /** Number of frames recorded so far. */
    public int frameCount() { return frames.size(); }

    /** Writes the animation to {@code file} atomically (temporary file, then rename). */
    public void write(Path file) throws IOException {
        if (frames.isEmpty()) throw new IOException(file + ": no denoising steps were recorded, nothing to draw");
        Font font = new Font(Font.MONOSPACED, Font.PLAIN, 14);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        pg.setFont(font);
        FontMetrics fm = pg.getFontMetrics();
        int height = 0;
        for (Frame f : frames) height = Math.max(height, layout(f, fm, null));
        pg.dispose();

        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        int frameHeight = height;
        AtomicFile.write(file, tmp -> {
            try (ImageOutputStream ios = ImageIO.createImageOutputStream(tmp.toFile())) {
                writer.setOutput(ios);
                writer.prepareWriteSequence(null);
                for (int i = 0; i < frames.size(); i++) {
                    BufferedImage img = new BufferedImage(WIDTH, frameHeight, BufferedImage.TYPE_INT_RGB);
                    Graphics2D g = img.createGraphics();
                    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_OFF);
                    g.setColor(BG);
                    g.fillRect(0, 0, WIDTH, frameHeight);
                    g.setFont(font);
                    layout(frames.get(i), g.getFontMetrics(), g);
                    g.dispose();
                    int delay = i == frames.size() - 1 ? delayCs * 4 : delayCs;
                    writer.writeToSequence(new IIOImage(img, null, metadata(writer, img, delay, i == 0)), null);
                }
                writer.endWriteSequence();
            } finally {
                writer.dispose();
            }
        });
    }

    /** Lays out (and, with a graphics context, draws) one frame; returns the height it needs. */
    private int layout(Frame f, FontMetrics fm, Graphics2D g) {
        int lineH = fm.getHeight() + 2 * GAP;
        int y = PAD;
        if (g != null) {
            g.setColor(INK);
            g.drawString("step " + (f.step + 1) + "/" + frames.size() + "   block " + f.block, PAD, y + fm.getAscent());
        }
        y += lineH + GAP;
        java.util.Set<Integer> fresh = new java.util.HashSet<>(), back = new java.util.HashSet<>();
        for (int p : f.fresh) fresh.add(p);
        for (int p : f.remasked) back.add(p);
        int x = PAD;
        for (int t = 0; t < f.canvas.length; t++) {
            int id = f.canvas[t];
            boolean masked = id == text.maskId();
            String s = masked ? "  " : text.of(id);
            int w = Math.max(fm.stringWidth(s), fm.charWidth('m')) + 2 * GAP;
            if (x + w > WIDTH - PAD && x > PAD) { x = PAD; y += lineH + GAP; }
            if (g != null) {
                if (masked) {
                    g.setColor(MASK);
                    g.fillRect(x, y, w, lineH);
                    if (back.contains(t)) { g.setColor(REMASK); g.drawRect(x, y, w - 1, lineH - 1); }
                } else {
                    if (fresh.contains(t)) { g.setColor(NEW); g.fillRect(x, y, w, lineH); }
                    g.setColor(t < promptLength ? PROMPT : INK);
                    g.drawString(s, x + GAP, y + GAP + fm.getAscent());
                }
            }
            x += w + GAP;
        }
        return y + lineH + PAD;
    }

    /** Per-frame GIF metadata: delay in 1/100 s, no disposal, and on the first frame the NETSCAPE loop-forever block. */
    private static IIOMetadata metadata(ImageWriter writer, BufferedImage img, int delayCs, boolean first) throws IOException {
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), null);
        String format = meta.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);
        IIOMetadataNode gce = child(root, "GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", Integer.toString(delayCs));
        gce.setAttribute("transparentColorIndex", "0");
        if (first) {
            IIOMetadataNode apps = child(root, "ApplicationExtensions");
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[]{1, 0, 0});   // sub-block 1, loop count 0 = forever
            apps.appendChild(app);
        }
        meta.setFromTree(format, root);
        return meta;
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++)
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) return (IIOMetadataNode) root.item(i);
        IIOMetadataNode node = new IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }
}
