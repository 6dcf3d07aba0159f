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
//     Precompiled, Nmt, Sequence), then added tokens with "normalized": true are
//     split out of the normalized text;
//  3. the pre-tokenizer cuts each piece into words (ByteLevel, Split,
//     Metaspace, Whitespace, WhitespaceSplit, BertPreTokenizer, Digits,
//     Punctuation, CharDelimiterSplit, FixedLength, UnicodeScripts, Sequence);
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
// Added tokens get the ids the Rust crate gives them when it loads the file,
// not necessarily the ids written in added_tokens: a token whose content is
// in the model's vocabulary takes that id, any other the next free id (see
// Tokenizer.resolveAdded). Real files agree with both.
//
// Offsets: [Tokenizer.EncodeOffsets] (tokenizer.OffsetEncoder) returns HF's
// Encoding.offsets in bytes of the input instead of characters. A token that
// covers part of a character (byte-level BPE, byte fallback) spans the whole
// character; template tokens get {0, 0}; the trim_offsets of ByteLevel and
// RobertaProcessing post-processors is applied. Spans follow
// NormalizedString's alignment rules through every normalizer (checked
// against the native library for BertNormalizer, NFC/NFD/NFKC/NFKD,
// Lowercase, StripAccents, Strip, Replace, Prepend, ByteLevel, Precompiled)
// and pre-tokenizer.
//
// Special tokens: [Tokenizer.Specials] guesses BOS/EOS/UNK/PAD/CLS/SEP/MASK
// from conventional token texts; [Load] then reads a tokenizer_config.json
// next to the file, whose bos_token, eos_token, unk_token, pad_token,
// cls_token, sep_token and mask_token (strings, {"content": ...} objects or
// null) take precedence. EOG is EOS plus every added token among
// <|end_of_text|>, <|eot_id|>, <|eom_id|>, </s>, <|endoftext|>, <|im_end|>,
// <eos>, <end_of_turn>, <|end|>, <|return|>, <|call|>, <|end_of_turn|>.
//
// Unicode normalization is aligned as unicode-normalization-alignments
// does it (decomposition parts, canonical reordering and compositions carry
// (character, change) pairs). HF's offsets for BPE
// with both continuing_subword_prefix and byte_fallback are not spans of the
// input at all, and are not reproduced.
//
// Unicode versions: the Rust crate takes punctuation, control and
// non-spacing-mark classes from the unicode_categories crate and
// StripAccents' marks from unicode-normalization-alignments, both frozen at
// an old Unicode version; unitables.go (generated from the native library
// by testdata/peer/probe_unicode.mjs and TestGenUnicodeTables) corrects
// Go's Unicode 15 classes to theirs. Split and ByteLevel regexes, which
// Oniguruma runs with Unicode 16.0 classes, use pretok's Unicode 16 tables
// (so U+1C89 is a letter, as natively). Known divergences remain on rare code
// points: NFKC/NFKD of characters added after that old version (U+32FF,
// U+107xx…), and case mapping, \w and is_numeric of Unicode 16 additions
// (Rust's std) that Go's tables do not know yet. Decode returns an error for an
// id outside the vocabulary where HF silently drops it.
//
// Truncation: a "truncation" block in the file is applied by Encode, as the
// Rust crate's encode does (the reference producer's whole-file Pegasus run
// returns the file's 192 tokens). [Tokenizer.SetTruncation] changes or
// removes it. A "padding" block is parsed and exposed by [Tokenizer.Padding]
// but not applied to single encodings (padding is a batch concern:
// tokenizer.EncodeBatch pads).
package hf
