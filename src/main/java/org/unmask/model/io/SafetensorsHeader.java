package org.unmask.model.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.unmask.model.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parsed and checked JSON header of a safetensors file. Every check that can fail names the file and the tensor,
 * so a corrupt download gives a message instead of a crash or a read past the end of the mapping.
 */
record SafetensorsHeader(long headerLength, Map<String, Entry> entries, Map<String, String> metadata) {

    /** Same limit as the reference implementation: a larger header is corruption, not a model. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Names of the format's other element types, which Unmask recognises but cannot use as weights. */
    static final Set<String> UNSUPPORTED = Set.of("F64", "U8", "I8", "U16", "I16", "U32", "U64", "BOOL",
            "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64");

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** One tensor's header entry; offsets are relative to the start of the data section. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    /** Parses and checks the header bytes of {@code file}, whose data section holds {@code dataBytes} bytes. */
    static SafetensorsHeader parse(Path file, long headerLength, byte[] headerBytes, long dataBytes) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": safetensors header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IOException(file + ": safetensors header must be a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode v = field.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw new IOException(file + ": __metadata__ must be an object of strings");
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) {
                        throw new IOException(file + ": __metadata__ value '" + kv.getKey() + "' must be a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            entries.put(name, entry(file, name, v));
        }
        checkOffsets(file, entries, dataBytes);
        return new SafetensorsHeader(headerLength, entries, metadata);
    }

    private static Entry entry(Path file, String name, JsonNode v) throws IOException {
        String where = file + ": tensor '" + name + "'";
        if (!v.isObject()) throw new IOException(where + ": header entry must be an object");
        JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new IOException(where + ": missing or non-string 'dtype'");
        if (sh == null || !sh.isArray()) throw new IOException(where + ": missing or non-array 'shape'");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw new IOException(where + ": 'data_offsets' must be an array [begin, end]");
        }
        String dtName = dt.asText();
        DType dtype = DType.fromSafetensors(dtName);
        if (dtype == null) {
            if (UNSUPPORTED.contains(dtName)) {
                throw new IOException(where + ": unsupported dtype for weights: " + dtName
                        + " (Unmask reads F32, BF16 and F16 weights, and I32/I64 index tensors)");
            }
            throw new IOException(where + ": unknown dtype '" + dtName + "'");
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = nonNegativeLong(sh.get(i), where + ": shape[" + i + "]");
        long begin = nonNegativeLong(off.get(0), where + ": data_offsets[0]");
        long end = nonNegativeLong(off.get(1), where + ": data_offsets[1]");
        if (end < begin) throw new IOException(where + ": data_offsets [" + begin + ", " + end + "] end before begin");
        long bytes;
        try {
            long n = 1;
            for (long s : shape) n = Math.multiplyExact(n, s);
            bytes = Math.multiplyExact(n, (long) dtype.bytes);
        } catch (ArithmeticException e) {
            throw new IOException(where + ": shape " + Arrays.toString(shape) + " is too large");
        }
        if (end - begin != bytes) {
            throw new IOException(where + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes but " + dtName + " " + Arrays.toString(shape) + " needs " + bytes);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long nonNegativeLong(JsonNode n, String what) throws IOException {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw new IOException(what + " must be a non-negative integer, got " + n);
        }
        return n.asLong();
    }

    private static void checkOffsets(Path file, Map<String, Entry> entries, long dataBytes) throws IOException {
        List<Entry> byBegin = new ArrayList<>(entries.values());
        byBegin.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry prev = null;
        for (Entry e : byBegin) {
            if (e.end() > dataBytes) {
                throw new IOException(file + ": tensor '" + e.name() + "': data_offsets [" + e.begin() + ", " + e.end()
                        + "] lie beyond the end of the data (" + dataBytes + " bytes; is the file truncated?)");
            }
            // empty tensors occupy no bytes and may share an offset with anything
            if (e.end() == e.begin()) continue;
            if (prev != null && e.begin() < prev.end()) {
                throw new IOException(file + ": tensors '" + prev.name() + "' [" + prev.begin() + ", " + prev.end()
                        + ") and '" + e.name() + "' [" + e.begin() + ", " + e.end() + ") overlap");
            }
            prev = e;
        }
    }
}
