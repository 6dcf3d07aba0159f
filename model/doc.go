// Package model is the contract between model architectures and the code that
// runs them: a loaded Model (read-only weights, shared), a Sequence (one
// sequence's KV cache and position), and a Registry that picks the
// architecture a GGUF file names in general.architecture.
//
// Architectures live in sub-packages (model/llama), one per architecture, and
// are registered explicitly by the caller (cmd/llmpipe builds the Registry;
// there is no init-time registration). This package does no math and knows no
// tokenizer; generation loops live in package generate.
//
// The metadata keys follow GGUF's conventions (ggml docs/gguf.md, "LLM"
// section): <arch>.context_length, <arch>.embedding_length, and so on.
package model
