// Package llama is the Llama architecture (Llama 1/2/3, Mistral, TinyLlama,
// SmolLM and other GGUF files whose general.architecture is "llama"): token
// embedding, pre-norm blocks of grouped-query self-attention with rotary
// position embedding and a SwiGLU feed-forward network, a final RMSNorm and a
// tied or separate output head.
//
// It follows Touvron et al. 2023, "LLaMA" and "Llama 2", and llama.cpp's
// llm_build_llama (src/models/llama.cpp) for the GGUF metadata keys, tensor
// names (names.go) and ggml's RoPE layout (LLAMA_ROPE_TYPE_NORM: adjacent
// pairs). Config reads llama.* metadata; Load checks every tensor's shape and
// type against it and returns errors naming the tensor; Forward is one
// readable pass with the shape of every step in a comment.
//
// Weights may be F32 (used in place from the file's mapping when aligned),
// F16 or BF16 (converted to float32 at load). Block-quantized weights come
// with package quant later. The math is kernels' reference versions.
package llama
