#!/usr/bin/env python3
"""Writes src/test/resources/gguf/ggml-quants.gguf with ggml's own C code: ggml_quantize_chunk, the function
llama-quantize quantizes every tensor with (here without an importance matrix: for the K-quants and the 32-weight
formats it runs the reference quantizers quantize_row_TYPE_ref; for IQ4_NL/IQ4_XS a search over 15 scales that the
_ref functions skip), and the dequantizers (dequantize_row_TYPE) of a libggml-base.so, called through ctypes; gguf-py
only writes the file.

    python3 -m venv /tmp/venv-gguf && /tmp/venv-gguf/bin/pip install gguf numpy
    npm install --prefix /tmp/nlc node-llama-cpp@3.22.1     # ships a prebuilt libggml-base.so
    /tmp/venv-gguf/bin/python src/test/python/make_ggml_quant_fixture.py \\
        /tmp/nlc/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so src/test/resources/gguf

Tensors: 'src' (F32, 8 rows of 512: Gaussian rows of three scales plus edge cases: an all-zero super-block, an
all-zero sub-block, constant, positive-only and negative-only sub-blocks, one outlier, values near f16's smallest
normal, exact grid values); for each TYPE below the bytes ggml's reference quantizer writes for 'src' (raw TYPE
blocks) and 'TYPE.expected', the F32 values ggml dequantizes those bytes to.
"""
import ctypes
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q

lib = ctypes.CDLL(sys.argv[1])
out = sys.argv[2] if len(sys.argv) > 2 else "src/test/resources/gguf"
rng = np.random.default_rng(20261203)

rows, cols = 8, 512
x = rng.standard_normal((rows, cols)).astype(np.float32)
x[0] *= np.float32(0.02)
x[1] *= np.float32(1.0)
x[2] *= np.float32(1e-3)
x[3, :256] = 0                                                  # all-zero super-block
x[3, 256:288] = 0                                               # all-zero sub-block
x[3, 288:320] = np.float32(0.5)                                 # constant sub-block
x[4, :256] = np.abs(x[4, :256]) * np.float32(0.05)              # positive only: the min is 0
x[4, 256:] = -np.abs(x[4, 256:]) * np.float32(0.05)             # negative only
x[5] *= np.float32(0.01)
x[5, 77] = np.float32(3.0)                                      # one outlier
x[6] = rng.uniform(-1, 1, cols).astype(np.float32) * np.float32(7e-5)   # scales near f16's smallest normal
x[7] = np.round(rng.standard_normal(cols) * 4).astype(np.float32) / np.float32(8)   # exact grid values: rounding ties

lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                                    ctypes.c_int64, ctypes.c_void_p]
lib.ggml_quantize_chunk.restype = ctypes.c_size_t

# ggml's function-name spelling of each type
TYPES = {Q.Q4_1: "q4_1", Q.Q5_0: "q5_0", Q.Q5_1: "q5_1", Q.Q2_K: "q2_K", Q.Q3_K: "q3_K", Q.Q4_K: "q4_K",
         Q.Q5_K: "q5_K", Q.Q6_K: "q6_K", Q.IQ4_NL: "iq4_nl", Q.IQ4_XS: "iq4_xs"}

w = gguf.GGUFWriter(os.path.join(out, "ggml-quants.gguf"), "llada")
w.add_tensor("src", x)
flat = np.ascontiguousarray(x.reshape(-1))
fptr = flat.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
for qt, name in TYPES.items():
    block, type_size = gguf.GGML_QUANT_SIZES[qt]
    nbytes = flat.size // block * type_size
    buf = (ctypes.c_uint8 * nbytes)()
    written = lib.ggml_quantize_chunk(int(qt), flat.ctypes.data, ctypes.addressof(buf), 0, rows, cols, None)
    assert written == nbytes, (name, written, nbytes)
    deq = np.zeros(flat.size, dtype=np.float32)
    getattr(lib, "dequantize_row_%s" % name)(buf, deq.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                             ctypes.c_int64(flat.size))
    raw = np.frombuffer(bytes(buf), dtype=np.uint8).reshape(rows, cols // block * type_size)
    w.add_tensor(qt.name.lower(), raw, raw_dtype=qt)
    w.add_tensor(qt.name.lower() + ".expected", deq.reshape(rows, cols))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
