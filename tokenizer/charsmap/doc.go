// Package charsmap reads SentencePiece's precompiled_charsmap, the compiled
// normalization rules (for example nmt_nfkc: NFKC plus SentencePiece's
// whitespace and control-character rules) that SentencePiece models carry in
// normalizer_spec.precompiled_charsmap and that HF tokenizer.json files carry,
// base64-encoded, in a "Precompiled" normalizer.
//
// The blob is a little-endian uint32 giving the byte size of a Darts-clone
// double-array trie, the trie's 32-bit units, and then a pool of
// NUL-terminated replacement strings. A trie key is a byte sequence of the
// input; its value is the offset of the replacement in the pool.
//
// Two matching rules are offered, because the two reference implementations
// differ:
//
//   - [Map.NormalizePrefix] follows SentencePiece's normalizer.cc
//     (Normalizer::NormalizePrefix): the longest rule matching at the start of
//     the input wins; with no rule one character passes through (a malformed
//     UTF-8 byte becomes U+FFFD).
//   - [Map.Normalize] follows HF tokenizers' Precompiled normalizer (the
//     spm_precompiled crate): the input is cut into extended grapheme clusters
//     (Unicode UAX #29); a cluster shorter than 6 bytes is looked up whole and,
//     if some rule matches a prefix of it, the shortest such rule replaces the
//     whole cluster; otherwise each character of the cluster is looked up on
//     its own.
//
// Parsing is defensive: a hostile blob yields an error or rules that match
// nothing, never a panic or an out-of-range read.
//
// References: SentencePiece normalizer.cc and builder.cc
// (github.com/google/sentencepiece); Darts-clone double arrays; HF
// tokenizers normalizers/precompiled.rs and spm_precompiled; Unicode
// Standard Annex #29 (grapheme cluster boundaries).
package charsmap
