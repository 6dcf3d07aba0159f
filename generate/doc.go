// Package generate is the decode loop on top of a model and its tokenizer:
// prompt text → ids (BOS as the vocabulary's metadata says, like llama.cpp's
// common_tokenize with add_special) → one batched prefill → one token at a
// time, chosen by package sample's chain (greedy argmax at temperature 0,
// the default) → text streamed through tokenizer.StreamDecoder.
//
// Generation stops at any of the tokenizer's end-of-generation ids (EOS and
// Specials.EOG: Llama 3's <|eot_id|> and <|end_of_text|>…), at a stop string
// (which may span token boundaries: text that could begin one is held back,
// so neither the stop string nor anything after it is ever emitted), at
// Options.MaxTokens, or when the context is full. Result.Stop says which;
// its FinishReason is OpenAI's "stop" or "length". A prompt longer than the
// model's context is an error (ErrContextExceeded), never silently truncated.
//
// Log-probabilities (Options.LogProbs) come from the log-softmax of the raw
// logits, before any sampling processor (OpenAI's logprobs semantics).
//
// Beam search (Options.Beam) follows HF transformers' BeamSearchScorer:
// width, length penalty score/len^α, early stopping, N sequences returned
// with Score = the sum of their ids' log-probabilities. Each beam owns a
// model.Sequence; a beam that forks gets a model.Cloner copy of its
// parent's, or re-runs its prefix in a fresh Sequence when the model's
// sequences cannot clone (see beamSearch for the cost).
//
// The loop follows llama.cpp's examples/simple (tokenize, llama_decode of the
// prompt, sample, decode one token, stop at llama_vocab_is_eog). This package
// does no tensor math.
package generate
