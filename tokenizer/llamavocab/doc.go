// Package llamavocab builds the tokenizer that a GGUF file carries in its
// tokenizer.ggml.* metadata, behaving exactly as llama.cpp does.
//
// It re-implements llama.cpp's src/llama-vocab.cpp (ggml-org/llama.cpp,
// read at commit 00ad355e): how the vocabulary is loaded (token types as
// attributes, default and explicit special ids, add_bos/add_eos/add_sep,
// add_space_prefix, the text-based detection of EOT/EOG/FIM tokens, the
// per-model LSTRIP/RSTRIP attributes), how special-token text is cut out of
// the input (tokenizer_st_partition: CONTROL and UNKNOWN tokens only with
// parse_special, USER_DEFINED tokens always), and the three tokenizers:
//
//   - "llama" (SPM): llama.cpp's own SentencePiece-BPE merge by piece score,
//     its resegmentation and <0xXX> byte fallback, with the space prefix only
//     at the start and after special tokens. This is llama.cpp's algorithm,
//     not SentencePiece's, so it is implemented here rather than on
//     tokenizer/spm.
//   - "gpt2" (byte-level BPE): the pre-tokenizer regexes of
//     tokenizer.ggml.pre (tokenizer/pretok.LlamaCppPre, applied in sequence),
//     the GPT-2 byte-to-unicode mapping, then the merge loop of tokenizer/bpe
//     with ranks from tokenizer.ggml.merges (merged strings that are not in
//     the vocabulary take part too, and fall back to single-byte tokens).
//   - "bert" (WPM): llama.cpp's preprocessing (whitespace split, NFD reduced
//     to the first code point and accent marks dropped when strip_accents,
//     lowercase, punctuation / ASCII symbols / CJK as single-character
//     words) then greedy longest match against "▁"-prefixed word starts.
//
// Other tokenizer.ggml.model values (t5, rwkv, plamo2…) are rejected with an
// error that names the model.
//
// Decoding follows llama_token_to_piece and llama_detokenize: byte tokens,
// "▁" → space, the leading-space removal of SPM, byte-level decoding of BPE,
// and clean_up_tokenization_spaces where llama.cpp applies it.
package llamavocab
