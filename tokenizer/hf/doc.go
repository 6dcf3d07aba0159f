// Package hf loads Hugging Face tokenizer.json files (the serialization format
// of the Rust `tokenizers` crate, https://github.com/huggingface/tokenizers)
// and encodes text to the ids that crate produces.
//
// The pipeline follows tokenizers' Tokenizer::encode step by step:
//
//  1. added tokens are split out of the raw text first (those with
//     "normalized": false), leftmost-longest, honouring single_word, lstrip
//     and rstrip;
//  2. the remaining text is normalized (NFC/NFD/NFKC/NFKD, Lowercase,
//     StripAccents, BertNormalizer, Strip, Replace, Prepend, ByteLevel,
//     Precompiled, Sequence), then added tokens with "normalized": true are
//     split out of the normalized text;
//  3. the pre-tokenizer cuts each piece into words (ByteLevel, Split,
//     Metaspace, Whitespace, WhitespaceSplit, BertPreTokenizer, Digits,
//     Punctuation, CharDelimiterSplit, Sequence);
//  4. the model turns each word into ids (BPE, WordPiece, Unigram, WordLevel);
//  5. the file's truncation is applied and, when EncodeOptions.AddSpecial is
//     set, the post-processor's template (TemplateProcessing, BertProcessing,
//     RobertaProcessing, ByteLevel, Sequence).
//
// Decoding maps ids to token strings and runs the decoder chain (ByteLevel,
// Metaspace, WordPiece, ByteFallback, Fuse, Strip, Replace, BPEDecoder, CTC,
// Sequence); bytes that are not valid UTF-8 become U+FFFD with Rust's
// String::from_utf8_lossy rule (one U+FFFD per maximal invalid subpart).
//
// Special-token semantics: EncodeOptions.ParseSpecial=true is HF's encode
// (added tokens found in the text become their ids, even with
// add_special_tokens=False). ParseSpecial=false is HF's
// encode_special_tokens=True: added tokens marked "special" are ordinary
// text, while non-special added tokens (Qwen's <think>, user-added words) are
// still matched, exactly as the Rust crate does.
//
// Truncation: a "truncation" block in the file is applied by Encode, as the
// Rust crate's encode does (the reference producer's whole-file Pegasus run
// returns the file's 192 tokens). [Tokenizer.SetTruncation] changes or
// removes it. A "padding" block is parsed and exposed by [Tokenizer.Padding]
// but not applied to single encodings (padding is a batch concern:
// tokenizer.EncodeBatch pads).
package hf
