// Package builtin is llmpipe's own language model, embedded in the binary:
// a small Llama-architecture model (about 1.3M parameters) that llmpipe
// pretrained itself (`llmpipe train`) on a TinyStories sample with the
// built-in tokenizer (tokenizer/builtin), exported to GGUF with
// `llmpipe export`. It is the default of `llmpipe run`, `llmpipe chat` and
// `llmpipe serve` when no --model is given, so a first command works offline
// with no download.
//
// Load reads the embedded file through the normal GGUF path (format/gguf,
// the model/llama loader, tokenizer/llamavocab), exactly as
// `llmpipe run --model` reads a GGUF file from disk. docs/MODEL_CARD.md
// records the commands, data, configuration, losses and sample outputs; the
// file's sha256 is SHA256.
//
// References: Touvron et al. 2023 (LLaMA: RMSNorm, RoPE, SwiGLU); Eldan and
// Li 2023 (TinyStories); the GGUF format of ggml-org/ggml docs/gguf.md.
package builtin
