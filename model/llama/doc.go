// Package llama is the decoder-only transformer family llama.cpp runs as
// "llama" (Llama 1/2/3, Mistral, TinyLlama, SmolLM), "qwen2" and "qwen3"
// (projection biases, per-head q/k RMSNorm, NeoX RoPE) and "gpt2" (LayerNorm
// with biases, learned positions, a fused QKV projection and a GELU MLP):
// token embedding, pre-norm blocks of grouped-query causal self-attention
// and a feed-forward network, a final norm and a tied or separate output
// head.
//
// It follows Touvron et al. 2023, "LLaMA" and "Llama 2", Radford et al.
// 2019 (GPT-2), and llama.cpp's graph builders (src/models/*.cpp) for the
// GGUF metadata keys, tensor names (names.go) and ggml's RoPE layouts.
// Config reads the architecture's metadata; Load checks every tensor's
// shape and type against it and returns errors naming the tensor.
//
// The network is written once (net.go: Hidden and Logits over a small
// backend, Ops, with the shape of every step in a comment). The runtime's
// backend (net_rows.go) runs it on package kernels: weights stay in the
// mapped file in their GGUF encoding (F32, F16, BF16 and every
// block-quantized type, multiplied by kernels.MatMulQ as ggml does), one
// KV cache per sequence, and several sequences' rows in one pass
// (ForwardBatch, the server's continuous batching). Training (package
// train) runs the same definition on autograd values.
package llama
