// Package generate is the decode loop on top of a model and its tokenizer:
// prompt text → ids (BOS as the vocabulary's metadata says, like llama.cpp's
// common_tokenize with add_special) → one batched prefill → one token at a
// time, picking the most likely id (greedy decoding) → text streamed through
// tokenizer.StreamDecoder, stopping at an end-of-generation id, the token
// limit or the end of the context.
//
// A prompt longer than the model's context is an error (ErrContextExceeded),
// never silently truncated. Sampling (temperature, top-k, top-p) will come
// from package sample; this package does no tensor math.
//
// The loop follows llama.cpp's examples/simple (tokenize, llama_decode of the
// prompt, sample, decode one token, stop at llama_vocab_is_eog).
package generate
