// Package tiktoken implements OpenAI's tiktoken encodings (r50k_base,
// p50k_base, cl100k_base, o200k_base, and p50k_edit and gpt2, which reuse
// p50k_base's and r50k_base's ranks) in pure Go, producing the same ids as
// the reference implementation (github.com/openai/tiktoken).
//
// An encoding is a .tiktoken rank file (one `base64(token bytes) rank` line
// per token; the rank is also the token id), a split regex that cuts text into
// pieces (run by tokenizer/pretok), and special tokens. Each piece that is not
// itself a token is byte-pair encoded the way tiktoken's byte_pair_merge does
// it: starting from single bytes, the adjacent pair whose concatenation has
// the lowest rank merges first (leftmost on ties), until no adjacent pair is a
// token. Special-token handling follows tiktoken's Encoding.encode: allowed
// special text becomes the special id, disallowed special text is an error,
// and encode_ordinary treats it all as text.
//
// Rank files are found by name with [Get], which reads a local cache and
// downloads (checking the sha256 that tiktoken pins) when the file is missing,
// or opened from a path with [Open].
//
// References: github.com/openai/tiktoken (src/lib.rs byte_pair_merge,
// tiktoken/core.py Encoding.encode, tiktoken_ext/openai_public.py for the
// patterns, special tokens and hashes); Sennrich et al. 2016 (BPE); Radford et
// al. 2019 (GPT-2's byte-level BPE).
package tiktoken
