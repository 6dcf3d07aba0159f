// Package pretok splits text into the pieces ("pre-tokens") that BPE then
// merges inside, as the split regexes of GPT-2, tiktoken (r50k, p50k, cl100k,
// o200k), Llama 3, Qwen2/3 and llama.cpp do.
//
// Those regexes need lookahead (`\s+(?!\S)`) and possessive quantifiers that
// Go's regexp lacks. The known patterns (the Pattern* and LlamaCpp* constants)
// get hand-written scanners: small state machines over the string with an
// ASCII fast path and a 64 KiB class table for the rest of the BMP, no regexp
// at run time ([Known], [Compile]). Any other pattern falls back to a
// backtracking engine with lookahead and possessive quantifiers,
// github.com/dlclark/regexp2 ([CompileRegexp]).
//
// # Semantics
//
// The reference engines are Rust's regex/fancy-regex crates (tiktoken) and
// Oniguruma (Hugging Face tokenizers). The scanners follow them:
//
//   - \s is the Unicode White_Space property (U+0009–U+000D, U+0020, U+0085,
//     U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
//     U+001C–U+001F (Python's str.isspace), U+200B ZERO WIDTH SPACE and U+FEFF
//     are not white space.
//   - \p{L}, \p{N}, \p{Lu}, \p{Ll}, \p{Lt}, \p{Lm}, \p{Lo} and \p{M} are the
//     Unicode general categories of Go's unicode package (Unicode 15.0.0), or
//     of Unicode 16.0.0 with [KnownUnicode]/[CompileUnicode] and [Unicode16]:
//     tiktoken 1.0.22's Rust regex has 16.0.0 and classifies the ~4,000 code
//     points new in 15.1/16.0 (CJK Extension I, Garay, Gurung Khema, …) as
//     letters and digits where Go's tables leave them unassigned.
//   - (?i:...) uses Unicode simple case folding, as Rust and Oniguruma do:
//     `(?i:'s)` also matches "'ſ" (U+017F LATIN SMALL LETTER LONG S). The
//     llama.cpp and js-tiktoken spellings (`'[sS]`, `'s|'S`) are ASCII only.
//   - $ is the end of the text (Rust without the m flag), never the end of a
//     line. Possessive quantifiers (`?+`, `++`) never give back what they took.
//   - Invalid UTF-8: every byte that does not start a valid UTF-8 sequence is
//     one "rune" of one byte that is neither a letter, a number nor white
//     space (so it is matched by [^\s\p{L}\p{N}]). Matches never split a valid
//     sequence and, for the full-coverage patterns, tile the whole input: no
//     byte is lost or duplicated.
//
// [Sequence] chains splitters the way llama.cpp's unicode_regex_split applies
// the several regexes of a GGUF `tokenizer.ggml.pre` type ([LlamaCppPre]).
//
// References: Radford et al. 2019 (GPT-2, its split regex); OpenAI tiktoken
// tiktoken_ext/openai_public.py; Hugging Face tokenizers pre_tokenizers::split;
// llama.cpp src/llama-vocab.cpp and src/unicode.cpp; Unicode UAX #44 (general
// categories, White_Space) and UTS #18 (regular expressions, simple case folding).
package pretok
