// Package bpetrain trains a byte-level BPE tokenizer (GPT-2 style) on text and
// writes it as a Hugging Face tokenizer.json. It is the tokenizer our own
// pretraining uses (see tokenizer/builtin).
//
// # Algorithm
//
// Training follows Sennrich et al. 2016 ("Neural Machine Translation of Rare
// Words with Subword Units") with GPT-2's byte-level alphabet (Radford et al.
// 2019) and reproduces Hugging Face tokenizers' BpeTrainer step for step:
//
//  1. The input is read line by line, each line keeping its line ending (as
//     Tokenizer.train_from_files does). Special-token text (default
//     "<|endoftext|>") is cut out of each line and never trained on; the rest
//     is split into pre-tokens by the split pattern (default: GPT-2's, the
//     one HF's ByteLevel pre-tokenizer uses with use_regex=true). Every
//     distinct pre-token is counted once: a map word → count.
//  2. Each word becomes a sequence of byte symbols. The 256 byte symbols get
//     ids 0-255 in the order of their byte-level characters' code points,
//     which is the order of GPT-2's bytes_to_unicode() table and HF's sorted
//     initial alphabet.
//  3. Counts of adjacent symbol pairs are kept in a map, and a max-heap holds
//     one entry per pair with its count and the set of words it occurs in.
//     The top entry is checked against the current count (stale entries are
//     pushed back with their new count), merged in the words it lists, and the
//     pair counts are updated incrementally from the changes each word
//     reports; pairs that gained occurrences get a new heap entry. Training
//     stops at the vocabulary size (special tokens included), when no pair is
//     left, or when the best pair's count is below MinFrequency.
//
// Special-token text differs on purpose: HF's Tokenizer.train adds the
// trainer's special tokens only after training, so it learns merges inside
// "<|endoftext|>" ("<|", "endoftext", "|>"); bpetrain cuts special-token text
// out and spends no merges on it. With SpecialTokens set to an empty slice the
// two learn the same merges (tested against HF tokenizers 0.22.2 on
// TinyShakespeare and TinyShakespeare + 1 MiB of TinyStories).
//
// Tie-break (deterministic): among pairs of equal count the one with the
// smallest (left id, right id) wins, as in HF's BpeTrainer, whose heap orders
// by count and then by ascending pair of ids. Because HF numbers the initial
// alphabet by code point and merged tokens in creation order, exactly as this
// package does, HF and bpetrain choose the same merge at every step; the ids
// differ only in that HF puts special tokens first while bpetrain puts them
// last (GPT-2's layout: bytes, merges, then <|endoftext|>). Heap entries of the
// same pair and count pop oldest first.
//
// # Output
//
// [Result] is a complete tokenizer: it implements [tokenizer.Tokenizer]
// (encode with the learned merges, lowest rank first and leftmost on ties; byte
// level decode), and [Result.MarshalJSON] / [Result.WriteJSON] write a HF
// tokenizer.json: model BPE (vocab: 256 byte symbols, then merges, then
// special tokens; merges as "left right" strings), ByteLevel pre-tokenizer
// (add_prefix_space false, use_regex true; a custom pattern becomes a Split
// pre-tokenizer before a ByteLevel one with use_regex false), ByteLevel
// decoder and post-processor, and the special tokens in added_tokens.
package bpetrain
