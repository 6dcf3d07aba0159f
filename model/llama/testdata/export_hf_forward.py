#!/usr/bin/python3
"""Independent check of a safetensors export: transformers' LlamaForCausalLM forward pass written out in numpy
(fp64), reading config.json and model.safetensors as HF's loaders do, with HF's RoPE convention (rotate_half: pair i
with i + head_dim/2), repeat_kv for GQA, RMSNorm and SwiGLU. Our own script (not transformers); needs numpy.

usage: /usr/bin/python3 export_hf_forward.py HF_DIR PROMPT_IDS_JSON N
prints {"ids": [N greedy ids after the prompt]} as JSON.
"""
import json
import struct
import sys

import numpy as np


def load(d):
    cfg = json.load(open(d + "/config.json"))
    raw = open(d + "/model.safetensors", "rb").read()
    n = struct.unpack_from("<Q", raw, 0)[0]
    hdr = json.loads(raw[8:8 + n])
    base = 8 + n
    w = {}
    for name, t in hdr.items():
        if name == "__metadata__":
            continue
        b = raw[base + t["data_offsets"][0]: base + t["data_offsets"][1]]
        if t["dtype"] == "F32":
            a = np.frombuffer(b, "<f4")
        elif t["dtype"] == "F16":
            a = np.frombuffer(b, "<f2")
        elif t["dtype"] == "BF16":
            a = (np.frombuffer(b, "<u2").astype(np.uint32) << 16).view("<f4")
        else:
            raise SystemExit("dtype " + t["dtype"])
        w[name] = a.astype(np.float64).reshape(t["shape"])
    return cfg, w


def rmsnorm(x, g, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], -1)


def forward(cfg, w, ids):
    T = len(ids)
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or cfg["hidden_size"] // nh
    eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
    inv = 1.0 / theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    ang = np.outer(np.arange(T), inv)
    emb = np.concatenate([ang, ang], -1)
    cos, sin = np.cos(emb), np.sin(emb)
    x = w["model.embed_tokens.weight"][ids]
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = rmsnorm(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(T, nh, hd).transpose(1, 0, 2)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = np.repeat(k, nh // nkv, 0), np.repeat(v, nh // nkv, 0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        a = (s / s.sum(-1, keepdims=True)) @ v
        x = x + a.transpose(1, 0, 2).reshape(T, nh * hd) @ w[p + "self_attn.o_proj.weight"].T
        h = rmsnorm(x, w[p + "post_attention_layernorm.weight"], eps)
        g = h @ w[p + "mlp.gate_proj.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    x = rmsnorm(x, w["model.norm.weight"], eps)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return x[-1] @ head.T


cfg, w = load(sys.argv[1])
ids = json.loads(sys.argv[2])
out = []
for _ in range(int(sys.argv[3])):
    nxt = int(np.argmax(forward(cfg, w, ids)))
    out.append(nxt)
    ids = ids + [nxt]
print(json.dumps({"ids": out}))
