package org.unmask.model.io;

import org.unmask.model.BertFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.TensorSpec;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;
import org.unmask.text.HfTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A BERT encoder exported to ONNX (such as all-MiniLM-L6-v2 from transformers' exporter) turned into a Hugging Face
 * {@code BertModel} directory. Biases, LayerNorms and embeddings keep their PyTorch names as initializers; the
 * matrices of the linear layers are stored transposed ([in, out]) under generated names ({@code onnx::MatMul_787}),
 * so each is named by following the graph from its MatMul to the Add that adds a named bias
 * ({@code encoder.layer.0.attention.self.query.bias} names {@code ...query.weight}). The head count is read from the
 * Reshape that splits the first layer's queries into heads, the LayerNorm epsilon from the constant added to the
 * variance; the activation must be the exact GELU (an Erf node).
 */
public final class OnnxBertImport {
    private OnnxBertImport() {}

    /** The imported model: its config and tensors under Hugging Face's BertModel names. */
    public record Result(ModelConfig config, Map<String, Weights> tensors) {}

    private static final Pattern LAYER = Pattern.compile("^(?:bert\\.)?encoder\\.layer\\.(\\d+)\\.");

    /** Imports {@code onnx} with the special ids of {@code tokenizer}; errors name the file and the node or tensor. */
    public static Result read(Path onnx, Path tokenizer) throws IOException {
        OnnxGraph g = OnnxGraph.read(onnx);
        Map<String, float[]> named = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (OnnxGraph.Tensor t : g.initializers().values()) {
            if (t.name().startsWith("onnx::") || t.dataType() != OnnxGraph.FLOAT) continue;   // matrices come below; position_ids is INT64
            named.put(hfName(t.name()), t.floats());
            shapes.put(hfName(t.name()), t.dims());
        }
        int matrices = 0;
        for (OnnxGraph.Node mm : g.nodes()) {
            if (!mm.op().equals("MatMul") || mm.inputs().size() != 2) continue;
            OnnxGraph.Tensor w = g.initializers().get(mm.inputs().get(1));
            if (w == null) continue;   // attention's activation × activation products
            if (w.dims().length != 2)
                throw new IOException(onnx + ": MatMul node '" + mm.name() + "' multiplies by " + w.name() + " of shape "
                        + Arrays.toString(w.dims()) + ", not a matrix");
            String bias = biasAfter(g, mm);
            if (bias == null)
                throw new IOException(onnx + ": MatMul node '" + mm.name() + "' (weight " + w.name()
                        + ") is not followed by an Add of a named bias, so its layer cannot be named");
            String name = hfName(bias.substring(0, bias.length() - ".bias".length()) + ".weight");
            int in = (int) w.dims()[0], out = (int) w.dims()[1];
            float[] src = w.floats(), t = new float[src.length];
            for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) t[o * in + i] = src[i * out + o];   // [in, out] → [out, in]
            if (named.put(name, t) != null) throw new IOException(onnx + ": two MatMul nodes map to " + name);
            shapes.put(name, new long[]{out, in});
            matrices++;
        }
        if (g.nodes().stream().noneMatch(n -> n.op().equals("Erf")))
            throw new IOException(onnx + ": no Erf node: the activation is not the exact GELU that BERT's \"gelu\" is");
        Result r = build(onnx, g, named, shapes, tokenizer);
        if (matrices != 6 * r.config().nLayers())
            throw new IOException(onnx + ": found " + matrices + " weight matrices, expected 6 per layer for " + r.config().nLayers() + " layers");
        return r;
    }

    /** {@code encoder.layer.0...} as BertModel names it in a Hugging Face checkpoint: under {@code bert.}. */
    private static String hfName(String onnxName) { return onnxName.startsWith("bert.") ? onnxName : "bert." + onnxName; }

    /** The named bias the single Add after {@code mm} adds, or null. */
    private static String biasAfter(OnnxGraph g, OnnxGraph.Node mm) {
        for (OnnxGraph.Node add : g.consumers(mm.outputs().getFirst())) {
            if (!add.op().equals("Add")) continue;
            for (String in : add.inputs()) {
                if (in.endsWith(".bias") && g.initializers().containsKey(in)) return in;
            }
        }
        return null;
    }

    private static Result build(Path onnx, OnnxGraph g, Map<String, float[]> named, Map<String, long[]> shapes,
                                Path tokenizerFile) throws IOException {
        BertFamily proto = BertFamily.BERT;
        long[] words = shapes.get(proto.embedding()), pos = shapes.get(proto.positions()), types = shapes.get(proto.tokenTypes());
        for (String n : new String[]{proto.embedding(), proto.positions(), proto.tokenTypes()})
            if (!shapes.containsKey(n)) throw new IOException(onnx + ": no initializer for " + n.substring("bert.".length()));
        int d = (int) words[1], vocab = (int) words[0];
        TreeSet<Integer> layerIds = new TreeSet<>();
        for (String n : named.keySet()) {
            Matcher m = LAYER.matcher(n);
            if (m.find()) layerIds.add(Integer.parseInt(m.group(1)));
        }
        if (layerIds.isEmpty()) throw new IOException(onnx + ": no encoder.layer.N tensors");
        int layers = layerIds.last() + 1;
        String up = proto.tensor(0, BertFamily.Part.UP);
        if (!shapes.containsKey(up)) throw new IOException(onnx + ": no MatMul maps to " + up);
        int ff = (int) shapes.get(up)[0];
        int heads = heads(onnx, g, d);
        double eps = layerNormEps(onnx, g);
        HfTokenizer tok = HfTokenizer.load(tokenizerFile);
        int mask = special(tok, "[MASK]", tokenizerFile), sep = special(tok, "[SEP]", tokenizerFile);
        Integer cls = tok.tokenId("[CLS]").isPresent() ? tok.tokenId("[CLS]").getAsInt() : null;
        if (tok.vocabSize() != vocab)
            throw new IOException(tokenizerFile + ": " + tok.vocabSize() + " tokens, but the ONNX word embedding has " + vocab + " rows");
        ModelConfig c = new ModelConfig(new BertFamily(BertFamily.Layout.BERT, (int) types[0], false), d, layers, heads, heads,
                d / heads, ff, vocab, vocab, (int) pos[0], 10000.0, Math.max(2, (d / heads) & ~1), eps, true, false, true, false,
                mask, sep, tok.tokenId("[PAD]").orElse(0), cls);
        Map<String, Weights> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, TensorSpec> e : c.family().tensors(c).entrySet()) {
            float[] v = named.get(e.getKey());
            if (v == null) throw new IOException(onnx + ": no initializer maps to " + e.getKey());
            if (!Arrays.equals(shapes.get(e.getKey()), e.getValue().shape()))
                throw new IOException(onnx + ": " + e.getKey() + " has shape " + Arrays.toString(shapes.get(e.getKey()))
                        + ", expected " + Arrays.toString(e.getValue().shape()));
            tensors.put(e.getKey(), new Weights.F32(v, 0, v.length));
        }
        return new Result(c, tensors);
    }

    private static int special(HfTokenizer tok, String token, Path file) throws IOException {
        return tok.tokenId(token).orElseThrow(() -> new IOException(file + ": no " + token + " token (a BERT WordPiece tokenizer has one)"));
    }

    /**
     * The head count: the first layer's query projection is reshaped to [batch, seq, heads, head size] by a Reshape
     * whose shape is a Concat of two runtime sizes and two constants.
     */
    private static int heads(Path onnx, OnnxGraph g, int d) throws IOException {
        OnnxGraph.Node query = g.nodes().stream()
                .filter(n -> n.op().equals("MatMul") && g.initializers().containsKey(n.inputs().get(1))).findFirst().orElse(null);
        if (query != null) {
            for (OnnxGraph.Node add : g.consumers(query.outputs().getFirst())) {
                for (OnnxGraph.Node reshape : g.consumers(add.outputs().getFirst())) {
                    OnnxGraph.Node concat = reshape.op().equals("Reshape") ? g.producer(reshape.inputs().get(1)) : null;
                    if (concat == null || !concat.op().equals("Concat")) continue;
                    long[] consts = concat.inputs().stream().map(g::producer)
                            .filter(n -> n != null && n.op().equals("Constant") && n.tensors().containsKey("value"))
                            .mapToLong(n -> n.tensors().get("value").longs()[0]).toArray();
                    if (consts.length == 2 && consts[0] * consts[1] == d) return (int) consts[0];
                }
            }
        }
        throw new IOException(onnx + ": cannot find the head count (no Reshape of the first layer's projections to [.., heads, head size])");
    }

    /** The epsilon of the first LayerNorm: the constant added before its Sqrt. */
    private static double layerNormEps(Path onnx, OnnxGraph g) throws IOException {
        for (OnnxGraph.Node sqrt : g.nodes()) {
            if (!sqrt.op().equals("Sqrt")) continue;
            OnnxGraph.Node add = g.producer(sqrt.inputs().getFirst());
            if (add == null || !add.op().equals("Add")) break;
            for (String in : add.inputs()) {
                OnnxGraph.Node c = g.producer(in);
                if (c != null && c.op().equals("Constant") && c.tensors().containsKey("value")) return asWritten(c.tensors().get("value").floats()[0]);
                OnnxGraph.Tensor t = g.initializers().get(in);
                if (t != null && t.size() == 1) return asWritten(t.floats()[0]);
            }
        }
        throw new IOException(onnx + ": cannot find the LayerNorm epsilon (no Sqrt of an Add of the variance and a constant)");
    }

    /** A float32 constant as its shortest decimal (1e-12, not 9.999999960041972e-13), as config.json writes it. */
    private static double asWritten(float f) { return Double.parseDouble(Float.toString(f)); }

    /**
     * Writes the import as a Hugging Face {@code BertModel} directory {@code out} (config.json, model.safetensors in
     * F32, the tokenizer as tokenizer.json), atomically: a crash leaves no half-written directory.
     */
    public static ModelConfig write(Path onnx, Path tokenizer, Path out) throws IOException {
        Result r = read(onnx, tokenizer);
        org.unmask.files.AtomicDirectory.replace(out, staging -> {
            Checkpoint.write(staging, r.config(), r.tensors(), DType.F32, 4L << 30);
            Files.copy(tokenizer, staging.resolve(HfTokenizer.FILE));
        });
        return r.config();
    }
}
