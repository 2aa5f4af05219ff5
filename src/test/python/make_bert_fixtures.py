#!/usr/bin/env python3
"""Writes the BERT-family fixtures of src/test/resources/bert: tiny random BertForMaskedLM and DistilBertForMaskedLM
checkpoints in the Hugging Face layout, and the MLM logits their Hugging Face forward returns, computed here in plain
torch from the equations of transformers' modeling_bert.py / modeling_distilbert.py (transformers itself is not
installed; nothing here shares code with Unmask).

    /usr/bin/python3 src/test/python/make_bert_fixtures.py src/test/resources/bert    # Debian's python3-torch

Files, per model directory (bert/, distilbert/):
- config.json, model.safetensors (F32; written by hand: 8-byte little-endian header length, JSON header, raw data),
  tokenizer.json (the WordPiece fixture ../tokenizers/wordpiece-uncased.json, whose [MASK] is id 4).
  bert/ is tied (no decoder weight in the file, the decoder bias stored as cls.predictions.bias, the old
  embeddings.position_ids buffer present as I64); distilbert/ is untied (vocab_projector.weight of its own).
- expected.safetensors: 'ids' (I32 [T]) and 'logits' (F32 [T, V]) of one sequence, token types 0, positions from 0;
  'batch_ids' (I32 [2, T]), 'batch_mask' (I32 [2, T], 0 = padding key) and 'batch_logits' (F32 [2, T, V]): a batch
  whose second row has padding keys, masked as Hugging Face's extended attention mask does (finfo.min added).
"""
import json
import math
import os
import shutil
import struct
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/bert"
here = os.path.dirname(os.path.abspath(__file__))
tokenizer = os.path.join(here, "..", "resources", "tokenizers", "wordpiece-uncased.json")
torch.manual_seed(20261202)
VOCAB, D, LAYERS, HEADS, FF, MAXPOS, T = 260, 32, 2, 4, 64, 24, 11


def save_safetensors(path, tensors):
    """The safetensors format by hand: u64 header size, JSON header with dtype/shape/data_offsets, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64", torch.int32: "I32"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rand(*shape, std=0.2):
    return (torch.randn(*shape) * std).float()


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))   # ACT2FN["gelu"]: the exact erf form


def linear(x, p, name):
    return x @ p[name + ".weight"].T + p[name + ".bias"]


def attention(x, p, q, k, v, o, mask):
    """Multi-head self-attention, scores scaled by 1/sqrt(head size), padding keys masked with finfo.min."""
    B, L, _ = x.shape
    hd = D // HEADS

    def heads(t):
        return t.view(B, L, HEADS, hd).transpose(1, 2)

    qh, kh, vh = heads(linear(x, p, q)), heads(linear(x, p, k)), heads(linear(x, p, v))
    scores = qh @ kh.transpose(-1, -2) / math.sqrt(hd)
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    probs = torch.softmax(scores + ext, dim=-1)
    ctx = (probs @ vh).transpose(1, 2).reshape(B, L, D)
    return linear(ctx, p, o)


def bert_forward(p, ids, mask, eps):
    B, L = ids.shape
    pos = torch.arange(L)
    e = p["bert.embeddings.word_embeddings.weight"][ids] + p["bert.embeddings.token_type_embeddings.weight"][0]
    e = e + p["bert.embeddings.position_embeddings.weight"][pos]
    h = layer_norm(e, p["bert.embeddings.LayerNorm.weight"], p["bert.embeddings.LayerNorm.bias"], eps)
    for l in range(LAYERS):
        s = f"bert.encoder.layer.{l}."
        a = attention(h, p, s + "attention.self.query", s + "attention.self.key", s + "attention.self.value",
                      s + "attention.output.dense", mask)
        h1 = layer_norm(a + h, p[s + "attention.output.LayerNorm.weight"], p[s + "attention.output.LayerNorm.bias"], eps)
        f = linear(gelu(linear(h1, p, s + "intermediate.dense")), p, s + "output.dense")
        h = layer_norm(f + h1, p[s + "output.LayerNorm.weight"], p[s + "output.LayerNorm.bias"], eps)
    t = gelu(linear(h, p, "cls.predictions.transform.dense"))
    t = layer_norm(t, p["cls.predictions.transform.LayerNorm.weight"], p["cls.predictions.transform.LayerNorm.bias"], eps)
    return t @ p["bert.embeddings.word_embeddings.weight"].T + p["cls.predictions.bias"]   # tied decoder


def distilbert_forward(p, ids, mask):
    eps = 1e-12
    B, L = ids.shape
    e = p["distilbert.embeddings.word_embeddings.weight"][ids] + p["distilbert.embeddings.position_embeddings.weight"][torch.arange(L)]
    h = layer_norm(e, p["distilbert.embeddings.LayerNorm.weight"], p["distilbert.embeddings.LayerNorm.bias"], eps)
    for l in range(LAYERS):
        s = f"distilbert.transformer.layer.{l}."
        a = attention(h, p, s + "attention.q_lin", s + "attention.k_lin", s + "attention.v_lin", s + "attention.out_lin", mask)
        h1 = layer_norm(a + h, p[s + "sa_layer_norm.weight"], p[s + "sa_layer_norm.bias"], eps)
        f = linear(gelu(linear(h1, p, s + "ffn.lin1")), p, s + "ffn.lin2")
        h = layer_norm(f + h1, p[s + "output_layer_norm.weight"], p[s + "output_layer_norm.bias"], eps)
    t = gelu(linear(h, p, "vocab_transform"))
    t = layer_norm(t, p["vocab_layer_norm.weight"], p["vocab_layer_norm.bias"], eps)
    return linear(t, p, "vocab_projector")   # untied


def linear_params(p, name, out_dim, in_dim):
    p[name + ".weight"] = rand(out_dim, in_dim)
    p[name + ".bias"] = rand(out_dim, std=0.1)


def norm_params(p, name):
    p[name + ".weight"] = 1 + rand(D, std=0.1)
    p[name + ".bias"] = rand(D, std=0.1)


def bert_params():
    p = {"bert.embeddings.word_embeddings.weight": rand(VOCAB, D, std=0.5),
         "bert.embeddings.position_embeddings.weight": rand(MAXPOS, D, std=0.5),
         "bert.embeddings.token_type_embeddings.weight": rand(2, D, std=0.5)}
    norm_params(p, "bert.embeddings.LayerNorm")
    for l in range(LAYERS):
        s = f"bert.encoder.layer.{l}."
        for n in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            linear_params(p, s + n, D, D)
        norm_params(p, s + "attention.output.LayerNorm")
        linear_params(p, s + "intermediate.dense", FF, D)
        linear_params(p, s + "output.dense", D, FF)
        norm_params(p, s + "output.LayerNorm")
    linear_params(p, "cls.predictions.transform.dense", D, D)
    norm_params(p, "cls.predictions.transform.LayerNorm")
    p["cls.predictions.bias"] = rand(VOCAB, std=0.1)
    return p


def distilbert_params():
    p = {"distilbert.embeddings.word_embeddings.weight": rand(VOCAB, D, std=0.5),
         "distilbert.embeddings.position_embeddings.weight": rand(MAXPOS, D, std=0.5)}
    norm_params(p, "distilbert.embeddings.LayerNorm")
    for l in range(LAYERS):
        s = f"distilbert.transformer.layer.{l}."
        for n in ("attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"):
            linear_params(p, s + n, D, D)
        norm_params(p, s + "sa_layer_norm")
        linear_params(p, s + "ffn.lin1", FF, D)
        linear_params(p, s + "ffn.lin2", D, FF)
        norm_params(p, s + "output_layer_norm")
    linear_params(p, "vocab_transform", D, D)
    norm_params(p, "vocab_layer_norm")
    linear_params(p, "vocab_projector", VOCAB, D)
    return p


def write(name, config, params, forward, extra):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    save_safetensors(os.path.join(d, "model.safetensors"), {**params, **extra})
    shutil.copy(tokenizer, os.path.join(d, "tokenizer.json"))
    ids = torch.randint(5, VOCAB, (1, T))
    ids[0, 0], ids[0, 4], ids[0, 7], ids[0, -1] = 2, 4, 4, 3   # [CLS] ... [MASK] ... [MASK] ... [SEP]
    batch = torch.randint(5, VOCAB, (2, T))
    mask = torch.ones(2, T, dtype=torch.int32)
    mask[1, T - 3:] = 0
    batch[1, T - 3:] = 0   # [PAD]
    with torch.no_grad():
        logits = forward(params, ids, torch.ones(1, T, dtype=torch.int32))[0]
        batch_logits = forward(params, batch, mask)
    save_safetensors(os.path.join(d, "expected.safetensors"), {
        "ids": ids[0].to(torch.int32), "logits": logits,
        "batch_ids": batch.to(torch.int32), "batch_mask": mask, "batch_logits": batch_logits})


bert_config = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": D, "num_hidden_layers": LAYERS,
               "num_attention_heads": HEADS, "intermediate_size": FF, "hidden_act": "gelu", "max_position_embeddings": MAXPOS,
               "type_vocab_size": 2, "layer_norm_eps": 1e-12, "vocab_size": VOCAB, "pad_token_id": 0,
               "position_embedding_type": "absolute", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
               "initializer_range": 0.02, "torch_dtype": "float32"}
write("bert", bert_config, bert_params(), lambda p, i, m: bert_forward(p, i, m, 1e-12),
      {"bert.embeddings.position_ids": torch.arange(MAXPOS, dtype=torch.int64)[None, :]})

distil_config = {"architectures": ["DistilBertForMaskedLM"], "model_type": "distilbert", "dim": D, "n_layers": LAYERS,
                 "n_heads": HEADS, "hidden_dim": FF, "activation": "gelu", "max_position_embeddings": MAXPOS,
                 "vocab_size": VOCAB, "pad_token_id": 0, "sinusoidal_pos_embds": False, "dropout": 0.1,
                 "attention_dropout": 0.1, "tie_word_embeddings": False, "torch_dtype": "float32"}
write("distilbert", distil_config, distilbert_params(), distilbert_forward, {})
print("wrote", out)
