// Package train pretrains language models from scratch on the ops of
// package autograd and the optimizers of package optim, following nanoGPT
// (Karpathy, github.com/karpathy/nanoGPT: model.py and train.py).
//
// Models (NewModel, from a Config of layers, dim, heads, KV heads, FFN
// width, context and vocabulary): a Llama (Touvron et al. 2023: RMSNorm,
// RoPE, grouped-query attention, SwiGLU, a tied or separate head) and a
// GPT-2 (Radford et al. 2019: learned positions, LayerNorm, GELU MLP,
// biases, head tied to the token embedding), initialized as nanoGPT's
// _init_weights: N(0, 0.02²), residual projections N(0, (0.02/√(2·layers))²).
// Model.Forward with a nil tape is inference; a Llama converts to the
// runtime's model/llama.Model with the same weights (ToLlama), and the two
// forward passes give the same logits.
//
// The loop (Run) is nanoGPT's train.py: random windows of Ctx tokens from
// the training split, gradient accumulation, clipping by global norm,
// AdamW (decay on matrices only) with a linear warmup and cosine decay,
// the validation loss on fixed windows every EvalEvery steps, then a
// checkpoint (model, optimizer moments, step, the sampler's PCG state) that
// a resumed run continues bit-exactly, metrics.jsonl and loss.png (a line
// plot drawn with image/png). A cancelled context saves and returns; a
// non-finite loss stops with the step and keeps the last checkpoint; a
// configuration whose memory estimate exceeds the limit is refused before
// anything is allocated.
//
// Tokens come through Source, package data's: a memory-mapped token file
// split with data.Split and viewed per range (View), or a slice in memory
// (Tokens). ByteTokenizer and CharTokenizer (nanoGPT's shakespeare_char
// vocabulary) sit beside any tokenizer.Tokenizer. Checkpoints go through
// Store; FileStore writes package checkpoint's atomic safetensors file (the
// parameters under GGUF-style names, AdamW's moments as adam.m.NAME and
// adam.v.NAME, the Config and Meta as JSON metadata).
//
// Not here: the fine-tuning stages (SFT, reward models, DPO, RL), export to
// GGUF or safetensors, and the command line (cmd/llmpipe train).
package train
