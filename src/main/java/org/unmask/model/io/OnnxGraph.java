package org.unmask.model.io;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of an ONNX model file that a weight import needs: the graph's nodes (operator, inputs, outputs, tensor
 * attributes) and its initializers, read from the protobuf wire format with protobuf-java's {@link CodedInputStream}.
 * Field numbers are those of onnx.proto (ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.input
 * = 1, output = 2, name = 3, op_type = 4, attribute = 5; AttributeProto.name = 1, t = 5; TensorProto.dims = 1,
 * data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9, data_location = 14); every other field is
 * skipped.
 *
 * @param nodes        the graph's nodes in file order (topological, as ONNX requires)
 * @param initializers the graph's constant tensors by name
 */
public record OnnxGraph(List<Node> nodes, Map<String, Tensor> initializers) {

    /** TensorProto.DataType values the import reads. */
    public static final int FLOAT = 1, INT64 = 7;

    /** One operator application; {@code tensors} holds its tensor-valued attributes (a Constant's {@code value}). */
    public record Node(String name, String op, List<String> inputs, List<String> outputs, Map<String, Tensor> tensors) {}

    /** A tensor: its dims, ONNX data type and little-endian bytes (raw_data, or float_data / int64_data re-encoded). */
    public record Tensor(String name, long[] dims, int dataType, byte[] data) {
        /** Number of elements. */
        public long size() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        /** The values of a FLOAT tensor. */
        public float[] floats() {
            if (dataType != FLOAT) throw new IllegalStateException("tensor '" + name + "' has ONNX data type " + dataType + ", not FLOAT (1)");
            float[] out = new float[(int) size()];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        /** The values of an INT64 tensor. */
        public long[] longs() {
            if (dataType != INT64) throw new IllegalStateException("tensor '" + name + "' has ONNX data type " + dataType + ", not INT64 (7)");
            long[] out = new long[(int) size()];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }
    }

    /** Reads {@code file}; errors name it. */
    public static OnnxGraph read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such ONNX file");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            if (ch.size() > Integer.MAX_VALUE - 16)
                throw new IOException(file + ": " + ch.size() + " bytes; an ONNX file over 2 GB keeps its weights in external data, which the import does not read");
            // mapped and aliased: sub-messages and raw_data are views of the mapping, copied once into float arrays
            CodedInputStream s = CodedInputStream.newInstance(ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size()));
            s.enableAliasing(true);
            OnnxGraph graph = null;
            for (int tag; (tag = s.readTag()) != 0; ) {
                if (WireFormat.getTagFieldNumber(tag) == 7 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    graph = graph(sub(s), file);
                } else {
                    s.skipField(tag);
                }
            }
            if (graph == null) throw new IOException(file + ": not an ONNX model (no graph, field 7 of ModelProto)");
            return graph;
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException(file + ": not a readable ONNX (protobuf) file: " + e.getMessage(), e);
        }
    }

    private static OnnxGraph graph(CodedInputStream s, Path file) throws IOException {
        List<Node> nodes = new ArrayList<>();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        for (int tag; (tag = s.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> nodes.add(node(sub(s), file));
                case 5 -> {
                    Tensor t = tensor(sub(s), file);
                    inits.put(t.name(), t);
                }
                default -> s.skipField(tag);
            }
        }
        return new OnnxGraph(Collections.unmodifiableList(nodes), Collections.unmodifiableMap(inits));
    }

    private static Node node(CodedInputStream s, Path file) throws IOException {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        String name = "", op = "";
        for (int tag; (tag = s.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> in.add(s.readStringRequireUtf8());
                case 2 -> out.add(s.readStringRequireUtf8());
                case 3 -> name = s.readStringRequireUtf8();
                case 4 -> op = s.readStringRequireUtf8();
                case 5 -> attribute(sub(s), tensors, file);
                default -> s.skipField(tag);
            }
        }
        return new Node(name, op, List.copyOf(in), List.copyOf(out), Collections.unmodifiableMap(tensors));
    }

    private static void attribute(CodedInputStream s, Map<String, Tensor> tensors, Path file) throws IOException {
        String name = null;
        Tensor t = null;
        for (int tag; (tag = s.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> name = s.readStringRequireUtf8();
                case 5 -> t = tensor(sub(s), file);
                default -> s.skipField(tag);
            }
        }
        if (name != null && t != null) tensors.put(name, t);
    }

    private static Tensor tensor(CodedInputStream s, Path file) throws IOException {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        byte[] raw = null;
        ByteBuffer floats = ByteBuffer.allocate(0), longs = ByteBuffer.allocate(0);
        boolean external = false;
        for (int tag; (tag = s.readTag()) != 0; ) {
            int field = WireFormat.getTagFieldNumber(tag), wire = WireFormat.getTagWireType(tag);
            switch (field) {
                case 1 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {   // packed
                        int limit = s.pushLimit(s.readRawVarint32());
                        while (s.getBytesUntilLimit() > 0) dims.add(s.readInt64());
                        s.popLimit(limit);
                    } else {
                        dims.add(s.readInt64());
                    }
                }
                case 2 -> type = s.readInt32();
                case 4 -> floats = append(floats, s, wire, 4);
                case 7 -> longs = append(longs, s, wire, 8);
                case 8 -> name = s.readStringRequireUtf8();
                case 9 -> raw = s.readByteArray();
                case 14 -> external = s.readEnum() == 1;
                default -> s.skipField(tag);
            }
        }
        if (external)
            throw new IOException(file + ": tensor '" + name + "' keeps its data in an external file, which the import does not read");
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        byte[] data = raw != null ? raw : type == FLOAT ? bytes(floats) : type == INT64 ? bytes(longs) : new byte[0];
        Tensor t = new Tensor(name, d, type, data);
        long width = type == FLOAT ? 4 : type == INT64 ? 8 : 0;
        if (width > 0 && data.length != t.size() * width)
            throw new IOException(file + ": tensor '" + name + "' has " + data.length + " bytes of data for dims "
                    + java.util.Arrays.toString(d));
        return t;
    }

    /** The length-delimited message at the stream's position, as a stream over a view of the same bytes. */
    private static CodedInputStream sub(CodedInputStream s) throws IOException {
        CodedInputStream sub = CodedInputStream.newInstance(s.readByteBuffer());
        sub.enableAliasing(true);
        return sub;
    }

    /** Appends float_data / int64_data values (packed or one by one) as little-endian bytes. */
    private static ByteBuffer append(ByteBuffer buf, CodedInputStream s, int wire, int width) throws IOException {
        List<Long> vals = new ArrayList<>();
        if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = s.pushLimit(s.readRawVarint32());
            while (s.getBytesUntilLimit() > 0) vals.add(width == 4 ? Integer.toUnsignedLong(s.readRawLittleEndian32()) : s.readInt64());
            s.popLimit(limit);
        } else {
            vals.add(width == 4 ? Integer.toUnsignedLong(s.readRawLittleEndian32()) : s.readInt64());
        }
        ByteBuffer out = ByteBuffer.allocate(buf.position() + vals.size() * width).order(ByteOrder.LITTLE_ENDIAN);
        out.put(buf.flip());
        for (long v : vals) {
            if (width == 4) out.putInt((int) v);
            else out.putLong(v);
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** The node that produces {@code output}, or null (a graph input or an initializer). */
    public Node producer(String output) {
        for (Node n : nodes) if (n.outputs().contains(output)) return n;
        return null;
    }

    /** The nodes that read {@code value}. */
    public List<Node> consumers(String value) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) if (n.inputs().contains(value)) out.add(n);
        return out;
    }
}
