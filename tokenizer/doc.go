// Package tokenizer is stage 1 of the pipeline: it turns text into the token ids a
// model was trained on, and ids back into text.
//
// The package holds what every tokenizer shares: the [Tokenizer] interface, the
// options that select tiktoken / HF / llama.cpp semantics for special tokens, the
// splitting of special-token text out of the input ([SpecialMatcher]), the GPT-2
// byte-to-unicode table used by byte-level BPE ([ByteToRune]), a streaming
// decoder that only emits whole UTF-8 characters ([StreamDecoder]), and batch
// encoding with padding, truncation and masks ([EncodeBatch]).
//
// Concrete tokenizers live in sub-packages, one per file format:
//
//   - tokenizer/tiktoken: OpenAI .tiktoken rank files (r50k, p50k, cl100k, o200k).
//   - tokenizer/hf: Hugging Face tokenizer.json (BPE, Unigram, WordPiece).
//   - tokenizer/spm: SentencePiece tokenizer.model (protobuf).
//   - tokenizer/llamavocab: vocabularies embedded in GGUF files, as llama.cpp reads them.
//
// Shared algorithms sit below them: tokenizer/bpe (the merge loop), tokenizer/pretok
// (pre-tokenizer splitters without a regexp at run time), tokenizer/unigram and
// tokenizer/wordpiece.
//
// This package imports no tensors: it builds and tests on its own, in milliseconds.
//
// References: Sennrich et al. 2016, "Neural Machine Translation of Rare Words with
// Subword Units" (BPE); Kudo 2018, "Subword Regularization" (Unigram); Schuster &
// Nakajima 2012 (WordPiece); Radford et al. 2019 (GPT-2 byte-level BPE).
package tokenizer
