#!/usr/bin/env python3
"""Writes the GGUF fixtures of src/test/resources/gguf with gguf-py, the llama.cpp project's own Python package
(its writer, and its numpy quantizers and dequantizers, which follow ggml's reference code).

    python3 -m venv /tmp/venv-gguf && /tmp/venv-gguf/bin/pip install gguf numpy
    /tmp/venv-gguf/bin/python src/test/python/make_gguf_fixtures.py src/test/resources/gguf

Files:
- blocks.gguf: the same random floats (with edge cases: rounding ties, all-zero and constant blocks, a negative
  maximum) as tensor 'src' in F32 and as F16, BF16, Q8_0 and Q4_0 quantized by gguf-py; random Q6_K super-blocks;
  and for each type 'TYPE.expected', the F32 values gguf-py dequantizes the tensor to.
- llada/ and dream/: a tiny model of each architecture as llama.cpp's converter lays it out (tensor names, metadata,
  LLaDA's Q/K rows permuted for pairwise RoPE, with this script's own implementation of the permutation), its
  matrices in a mix of F16, BF16, Q8_0 and Q4_0 (model.gguf); and beside it the Hugging Face checkpoint
  (config.json + model.safetensors, F32) of the values gguf-py dequantizes the GGUF to, in Hugging Face row order.
- lladamoe/: the same for a tiny LLaDA-MoE (architecture 'llada-moe'), laid out as llama.cpp's LLaDAMoEModel
  converter does (facts from llama.cpp's conversion code, llama-arch.cpp and src/models/llada-moe.cpp): per-head
  Q/K RMSNorm, unpermuted Q/K (NEOX RoPE), the router 'ffn_gate_inp' in F32, each layer's routed experts stacked into
  'ffn_{gate,up,down}_exps' of shape [experts, rows, cols] (this script's own stacking), the keys expert_count,
  expert_used_count, expert_feed_forward_length, and no feed_forward_length, key_length, rope.dimension_count or
  vocab_size (the converter writes none of them for the released config.json). Its own random generator, so the
  other fixtures stay byte for byte what they were.
"""
import json
import os
import struct
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/gguf"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261202)


def blocks_fixture():
    rows, cols = 8, 256
    x = rng.standard_normal((rows, cols)).astype(np.float32) * np.float32(0.05)
    x[1, :32] = np.arange(-16, 16, dtype=np.float32)             # Q4_0: max magnitude negative, d = 2
    x[1, 32:64] = 0                                                # all-zero block: scale 0
    x[1, 64:96] = np.float32(0.25)                                 # constant block
    t = np.arange(32, dtype=np.float32) - 15.5                     # Q8_0 ties: amax 127 gives d = 1, x.5 values
    t[0] = 127
    x[2, :32] = t
    x[2, 32:64] = -t
    x[3, :32] = np.float32(1e-6) * rng.standard_normal(32).astype(np.float32)   # tiny values, f16 subnormal scale
    w = gguf.GGUFWriter(os.path.join(out, "blocks.gguf"), "llada")
    w.add_tensor("src", x)
    for qt in (Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0):
        data = gguf.quants.quantize(x, qt)
        w.add_tensor(qt.name.lower(), data, raw_dtype=qt)
        w.add_tensor(qt.name.lower() + ".expected", gguf.quants.dequantize(data, qt).astype(np.float32))
    nb = 6
    q6 = rng.integers(0, 256, size=(nb, 210), dtype=np.uint8)
    d = (rng.standard_normal(nb) * 0.01).astype(np.float16).view(np.uint8).reshape(nb, 2)
    q6[:, 208:210] = d
    q6 = q6.reshape(2, 3 * 210)
    w.add_tensor("q6_k", q6, raw_dtype=Q.Q6_K)
    w.add_tensor("q6_k.expected", gguf.quants.dequantize(q6, Q.Q6_K).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def permute(m, heads):
    """llama.cpp's converter (LlamaModel.permute): within each head, HF row s*hd/2 + i becomes row 2i + s."""
    return m.reshape(heads, 2, m.shape[0] // heads // 2, *m.shape[1:]).swapaxes(1, 2).reshape(m.shape)


def unpermute(m, heads):
    return m.reshape(heads, m.shape[0] // heads // 2, 2, *m.shape[1:]).swapaxes(1, 2).reshape(m.shape)


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def model_fixture(arch):
    d, layers, heads, kv, ff, vocab = 64, 2 if arch == "llada" else 1, 4, 2, 64, 40
    hd = d // heads
    # GGUF name, HF name, shape (outer first), storage type
    if arch == "llada":
        p = "model.transformer."
        names = [("token_embd.weight", p + "wte.weight", (vocab, d), Q.F16)]
        per = [("attn_norm.weight", "attn_norm.weight", (d,), Q.F32), ("attn_q.weight", "q_proj.weight", (d, d), Q.Q8_0),
               ("attn_k.weight", "k_proj.weight", (kv * hd, d), Q.Q4_0), ("attn_v.weight", "v_proj.weight", (kv * hd, d), Q.BF16),
               ("attn_output.weight", "attn_out.weight", (d, d), Q.Q4_0), ("ffn_norm.weight", "ff_norm.weight", (d,), Q.F32),
               ("ffn_gate.weight", "ff_proj.weight", (ff, d), Q.Q8_0), ("ffn_up.weight", "up_proj.weight", (ff, d), Q.Q4_0),
               ("ffn_down.weight", "ff_out.weight", (d, ff), Q.Q8_0)]
        for l in range(layers):
            names += [(f"blk.{l}." + g, f"{p}blocks.{l}." + h, s, t) for g, h, s, t in per]
        names += [("output_norm.weight", p + "ln_f.weight", (d,), Q.F32), ("output.weight", p + "ff_out.weight", (vocab, d), Q.Q8_0)]
        config = {"architectures": ["LLaDAModelLM"], "model_type": "llada", "d_model": d, "n_layers": layers,
                  "n_heads": heads, "n_kv_heads": kv, "mlp_hidden_size": ff, "vocab_size": vocab, "embedding_size": vocab,
                  "max_sequence_length": 128, "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "weight_tying": False,
                  "mask_token_id": 3, "eos_token_id": 1, "pad_token_id": 1, "bos_token_id": 0, "torch_dtype": "float32"}
    else:
        names = [("token_embd.weight", "model.embed_tokens.weight", (vocab, d), Q.BF16)]
        for l in range(layers):
            p = f"model.layers.{l}."
            names += [(f"blk.{l}.attn_norm.weight", p + "input_layernorm.weight", (d,), Q.F32),
                      (f"blk.{l}.attn_q.weight", p + "self_attn.q_proj.weight", (d, d), Q.Q4_0),
                      (f"blk.{l}.attn_q.bias", p + "self_attn.q_proj.bias", (d,), Q.F32),
                      (f"blk.{l}.attn_k.weight", p + "self_attn.k_proj.weight", (kv * hd, d), Q.Q8_0),
                      (f"blk.{l}.attn_k.bias", p + "self_attn.k_proj.bias", (kv * hd,), Q.F32),
                      (f"blk.{l}.attn_v.weight", p + "self_attn.v_proj.weight", (kv * hd, d), Q.F16),
                      (f"blk.{l}.attn_v.bias", p + "self_attn.v_proj.bias", (kv * hd,), Q.F32),
                      (f"blk.{l}.attn_output.weight", p + "self_attn.o_proj.weight", (d, d), Q.Q8_0),
                      (f"blk.{l}.ffn_norm.weight", p + "post_attention_layernorm.weight", (d,), Q.F32),
                      (f"blk.{l}.ffn_gate.weight", p + "mlp.gate_proj.weight", (ff, d), Q.Q4_0),
                      (f"blk.{l}.ffn_up.weight", p + "mlp.up_proj.weight", (ff, d), Q.Q8_0),
                      (f"blk.{l}.ffn_down.weight", p + "mlp.down_proj.weight", (d, ff), Q.Q4_0)]
        names += [("output_norm.weight", "model.norm.weight", (d,), Q.F32), ("output.weight", "lm_head.weight", (vocab, d), Q.Q8_0)]
        config = {"architectures": ["DreamModel"], "model_type": "Dream", "hidden_size": d, "num_hidden_layers": layers,
                  "num_attention_heads": heads, "num_key_value_heads": kv, "intermediate_size": ff, "vocab_size": vocab,
                  "max_position_embeddings": 128, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
                  "tie_word_embeddings": False, "mask_token_id": 3, "eos_token_id": 1, "pad_token_id": 1,
                  "bos_token_id": 0, "hidden_act": "silu", "torch_dtype": "float32"}
    dirp = os.path.join(out, arch)
    os.makedirs(dirp, exist_ok=True)
    w = gguf.GGUFWriter(os.path.join(dirp, "model.gguf"), arch)
    w.add_context_length(128)
    w.add_embedding_length(d)
    w.add_block_count(layers)
    w.add_feed_forward_length(ff)
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_rope_freq_base(config["rope_theta"])
    w.add_layer_norm_rms_eps(config["rms_norm_eps"])
    w.add_rope_dimension_count(hd)
    w.add_vocab_size(vocab)
    w.add_causal_attention(False)
    if arch == "llada":
        w.add_diffusion_shift_logits(False)   # Dream's converter writes no shift key: readers then shift
    w.add_mask_token_id(3)
    w.add_eos_token_id(1)
    w.add_bos_token_id(0)
    w.add_pad_token_id(1)
    hf = {}
    for g, h, shape, qt in names:
        x = rng.standard_normal(shape).astype(np.float32) * np.float32(0.3 if len(shape) == 2 else 0.1)
        if len(shape) == 1 and "norm" in g:
            x += np.float32(1)
        if arch == "llada" and g.endswith("attn_q.weight"):
            x = permute(x, heads)
        if arch == "llada" and g.endswith("attn_k.weight"):
            x = permute(x, kv)
        data = x if qt == Q.F32 else gguf.quants.quantize(x, qt)
        w.add_tensor(g, data, raw_dtype=None if qt == Q.F32 else qt)
        deq = gguf.quants.dequantize(data, qt).astype(np.float32).reshape(shape) if qt != Q.F32 else x
        if arch == "llada" and g.endswith("attn_q.weight"):
            deq = unpermute(deq, heads)
        if arch == "llada" and g.endswith("attn_k.weight"):
            deq = unpermute(deq, kv)
        hf[h] = deq
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    write_safetensors(os.path.join(dirp, "model.safetensors"), hf)
    with open(os.path.join(dirp, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


blocks_fixture()
model_fixture("llada")
model_fixture("dream")


def moe_fixture():
    """A tiny LLaDA-MoE: 2 layers of 4 query / 2 key-value heads of 16, 4 experts of width 32, top 2, vocabulary 40."""
    r = np.random.default_rng(20261203)
    d, layers, heads, kv, experts, used, width, vocab = 64, 2, 4, 2, 4, 2, 32, 40
    hd = d // heads
    names = [("token_embd.weight", ["model.embed_tokens.weight"], (vocab, d), Q.F16)]
    exp_types = [(Q.Q4_0, Q.Q8_0, Q.Q4_0), (Q.F16, Q.Q4_0, Q.Q8_0)]   # per layer: gate, up, down
    for l in range(layers):
        p, b = f"model.layers.{l}.", f"blk.{l}."
        names += [(b + "attn_norm.weight", [p + "input_layernorm.weight"], (d,), Q.F32),
                  (b + "attn_q.weight", [p + "self_attn.q_proj.weight"], (d, d), Q.Q8_0),
                  (b + "attn_k.weight", [p + "self_attn.k_proj.weight"], (kv * hd, d), Q.Q4_0),
                  (b + "attn_v.weight", [p + "self_attn.v_proj.weight"], (kv * hd, d), Q.BF16),
                  (b + "attn_q_norm.weight", [p + "self_attn.q_norm.weight"], (hd,), Q.F32),
                  (b + "attn_k_norm.weight", [p + "self_attn.k_norm.weight"], (hd,), Q.F32),
                  (b + "attn_output.weight", [p + "self_attn.o_proj.weight"], (d, d), Q.Q4_0),
                  (b + "ffn_norm.weight", [p + "post_attention_layernorm.weight"], (d,), Q.F32),
                  (b + "ffn_gate_inp.weight", [p + "mlp.gate.weight"], (experts, d), Q.F32)]
        g, u, dn = exp_types[l]
        for gguf_name, proj, shape, qt in (("ffn_down_exps", "down_proj", (d, width), dn),
                                           ("ffn_gate_exps", "gate_proj", (width, d), g),
                                           ("ffn_up_exps", "up_proj", (width, d), u)):
            hf = [f"{p}mlp.experts.{x}.{proj}.weight" for x in range(experts)]
            names.append((b + gguf_name + ".weight", hf, (experts,) + shape, qt))
    names += [("output_norm.weight", ["model.norm.weight"], (d,), Q.F32), ("output.weight", ["lm_head.weight"], (vocab, d), Q.Q8_0)]
    config = {"architectures": ["LLaDAMoEModelLM"], "model_type": "lladamoe", "attention_bias": False,
              "expert_intermediate_size": width, "hidden_act": "silu", "hidden_size": d, "num_hidden_layers": layers,
              "num_attention_heads": heads, "num_key_value_heads": kv, "partial_rotary_factor": 1.0,
              "qk_layernorm": True, "rope_theta": 50000.0, "rms_norm_eps": 1e-5, "max_position_embeddings": 128,
              "moe_layer_freq": [1] * layers, "num_experts": experts, "num_experts_per_tok": used,
              "moe_router_enable_expert_bias": False, "router_num_group": None, "router_topk_group": None,
              "shared_expert_intermediate_size": None, "tie_word_embeddings": False, "vocab_size": vocab,
              "mask_token_id": 3, "eos_token_id": 1, "pad_token_id": 1, "bos_token_id": 0, "torch_dtype": "float32"}
    dirp = os.path.join(out, "lladamoe")
    os.makedirs(dirp, exist_ok=True)
    w = gguf.GGUFWriter(os.path.join(dirp, "model.gguf"), "llada-moe")
    # TextModel.set_gguf_parameters for this config.json, then LLaDAMoEModel's own keys
    w.add_block_count(layers)
    w.add_context_length(128)
    w.add_embedding_length(d)
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_rope_freq_base(config["rope_theta"])
    w.add_layer_norm_rms_eps(config["rms_norm_eps"])
    w.add_expert_count(experts)
    w.add_expert_used_count(used)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    w.add_expert_feed_forward_length(width)
    w.add_mask_token_id(3)   # the converter hard-codes the released models' 156895, beyond this vocabulary
    w.add_causal_attention(False)
    w.add_diffusion_shift_logits(False)
    w.add_eos_token_id(1)
    w.add_bos_token_id(0)
    w.add_pad_token_id(1)
    hf = {}
    for g, hs, shape, qt in names:
        std = 0.8 if "ffn_gate_inp" in g else 0.3 if len(shape) >= 2 else 0.1
        x = r.standard_normal(shape).astype(np.float32) * np.float32(std)
        if len(shape) == 1 and "norm" in g:
            x += np.float32(1)
        data = x if qt == Q.F32 else gguf.quants.quantize(x, qt)
        w.add_tensor(g, data, raw_dtype=None if qt == Q.F32 else qt)
        deq = gguf.quants.dequantize(data, qt).astype(np.float32).reshape(shape) if qt != Q.F32 else x
        if len(hs) == 1 and not g.endswith("_exps.weight"):
            hf[hs[0]] = deq
        else:
            for i, h in enumerate(hs):   # the converter stacks experts on a new outermost dimension (torch.stack)
                hf[h] = deq[i]
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    write_safetensors(os.path.join(dirp, "model.safetensors"), hf)
    with open(os.path.join(dirp, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


moe_fixture()
