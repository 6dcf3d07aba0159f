// Package grammarcheck holds only tests: it runs package grammar's matcher
// on real vocabularies and a real model from ../shared/data/models
// (stories260K.gguf for end-to-end constrained generation, the 32000-token
// vocabulary of llama-2-tiny-random.gguf for the per-token benchmark), which
// it loads with format/gguf, tokenizer/llamavocab and model/llama, so that
// grammar itself imports nothing but package tokenizer.
package grammarcheck
