// Package spm reads SentencePiece models (the tokenizer.model file: a
// serialized sentencepiece_model.proto ModelProto) and tokenizes with them,
// producing the ids SentencePiece itself produces.
//
// The ModelProto is decoded by hand from the protobuf wire format (no protobuf
// dependency): the pieces (text, score, type), trainer_spec (model type, byte
// fallback, the BOS/EOS/PAD/UNK pieces) and normalizer_spec (precompiled
// charsmap, add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces).
//
// Encoding follows SentencePieceProcessor::Encode: normalizer.cc's
// Normalizer::Normalize (user-defined pieces pass unchanged; whitespace
// handling; the dummy prefix; spaces escaped to U+2581 ▁), then the model's
// segmentation, then byte fallback (an unknown piece becomes its UTF-8 bytes as
// <0xXX> pieces) or fusing of unknown runs. BPE segmentation is bpe_model.cc's:
// start from characters and repeatedly merge the adjacent pair whose
// concatenation is a piece with the highest score, leftmost on ties; unused
// pieces are re-split. It is the same algorithm as llama.cpp's
// llm_tokenizer_spm, and runs in O(n log n) on inputs of any length (SPM has
// no pre-tokenizer, so a whole paragraph is one sequence).
//
// The Unigram model type runs tokenizer/unigram in its SentencePiece flavour,
// and a non-empty precompiled_charsmap normalizes through tokenizer/charsmap
// (normalizer.cc's longest-prefix rule). Word and Char models are rejected.
//
// Special pieces: control pieces (<s>, </s>) are never produced from text, as in
// SentencePiece, unless EncodeOptions.ParseSpecial asks for llama.cpp's
// parse_special (text cut at control, unknown and user-defined piece text, each
// stretch encoded as its own sentence); user-defined pieces are always kept
// whole. EncodeOptions.AddSpecial adds BOS (and EOS when Options.AddEOS).
//
// Decoding follows SentencePieceProcessor::Decode, except that control pieces
// read as their text unless DecodeOptions.SkipSpecial drops them. For valid
// UTF-8 with Llama 2's model decode(encode(s)) == s, with one exception that
// SentencePiece shares: U+2581 (▁) in the input decodes as a space. Invalid
// UTF-8 bytes come back as U+FFFD, and with ParseSpecial a control piece's
// text comes back but the stretch after it gains a leading space.
//
// Reference: Kudo & Richardson 2018, "SentencePiece: A simple and language
// independent subword tokenizer and detokenizer for Neural Text Processing"
// (EMNLP demo); github.com/google/sentencepiece src/{sentencepiece_model.proto,
// normalizer.cc, bpe_model.cc, sentencepiece_processor.cc}.
package spm
