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
// Where llama.cpp's unicode_regex_split does not behave like a regex engine
// it is followed: non-ASCII whitespace never matches a bracket range of a
// std::wregex regex (deepseek-llm/coder), \p{Lu}/\p{Ll}/… all mean LETTER in
// collapsed regexes (tiny_aya), the hand-written AFMoE digit splitter replaces
// tiny_aya's and afmoe's digit regex, superbpe's empty lookahead matches cut
// the text, kimi-k2 uses llama.cpp's hand-written splitter, afmoe, youtu
// and kimi-k2 (absent from pretok.LlamaCppPre) are supported, and code
// points new in Unicode 15.1 (llama.cpp's tables; Go has
// 15.0) classify as there. EOT/EOM/FIM detection by token text picks, among
// several candidates, the first in libstdc++'s unordered_map order, as
// llama.cpp built with GCC does. All of this is checked against llama.cpp
// itself (node-llama-cpp 3.21.1) by testdata/gen_llamacpp_diff.mjs and the
// replayed fixture testdata/llamacpp_diff.jsonl.gz.
//
// Other tokenizer.ggml.model values (t5, rwkv, plamo2…) are rejected with an
// error that names the model.
//
// Decoding follows llama_token_to_piece and llama_detokenize: byte tokens,
// "▁" → space, the leading-space removal of SPM, byte-level decoding of BPE,
// and clean_up_tokenization_spaces where llama.cpp applies it.
package llamavocab
