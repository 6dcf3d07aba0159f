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
// Decoding follows SentencePieceProcessor::Decode.
//
// Reference: Kudo & Richardson 2018, "SentencePiece: A simple and language
// independent subword tokenizer and detokenizer for Neural Text Processing"
// (EMNLP demo); github.com/google/sentencepiece src/{sentencepiece_model.proto,
// normalizer.cc, bpe_model.cc, sentencepiece_processor.cc}.
package spm
