package pretok

import (
	"fmt"

	"github.com/dlclark/regexp2/v2"
)

// Span is the half-open byte range [Start, End) of one match in the input.
type Span struct {
	Start, End int
}

// Splitter finds the pre-token matches of a pattern in text.
//
// Implementations are safe for concurrent use.
type Splitter interface {
	// FindAll appends the non-overlapping matches in text, left to right,
	// to dst and returns it (regex findall semantics; empty matches are not
	// reported).
	FindAll(dst []Span, text string) []Span
}

// Compile returns a Splitter for a regex pattern: a hand-written scanner when
// the pattern is one of the known ones, otherwise the regexp2 engine.
func Compile(pattern string) (Splitter, error) {
	if s := Known(pattern); s != nil {
		return s, nil
	}
	return CompileRegexp(pattern)
}

// Known returns the hand-written scanner for pattern, or nil when there is
// none. The pattern must equal one of the Pattern* or LlamaCpp* constants
// byte for byte.
func Known(pattern string) Splitter {
	s, ok := knownScanners[pattern]
	if !ok {
		return nil
	}
	initTables()
	return s
}

// Unicode selects the version of the Unicode Character Database that the
// hand-written scanners take \p{L}, \p{N}, \s and the other classes from.
// The reference engines differ: Rust's regex-syntax 0.8.5 and later (used by
// tiktoken 1.0.22 through fancy-regex) has Unicode 16.0.0, Go's unicode
// package 15.0.0. Only code points first assigned in Unicode 15.1 or 16.0
// (CJK Extension I, Garay, Gurung Khema, Kirat Rai, Sunuwar, Tulu-Tigalari,
// Todhri, Ol Onal, Egyptian hieroglyphs extended-A, a few Latin and
// Cyrillic letters, new digits) classify differently.
type Unicode uint8

const (
	// UnicodeGo is Go's unicode package (Unicode 15.0.0), the default of
	// [Known] and [Compile].
	UnicodeGo Unicode = iota
	// Unicode16 is Unicode 16.0.0, as in tiktoken 1.0.22 (npm, the WASM
	// build of OpenAI's Rust crate). Hugging Face tokenizers' native build
	// (Oniguruma, seen through @anush008/tokenizers 0.6.0) splits the Llama 3
	// and GPT-4o patterns with 16.0.0 classes too; transformers.js follows
	// the JavaScript engine's ICU (Unicode 17.0 in node 20.20).
	Unicode16
)

// KnownUnicode is [Known] with the rune classes of Unicode version u.
func KnownUnicode(pattern string, u Unicode) Splitter {
	s, ok := knownScanners[pattern]
	if !ok {
		return nil
	}
	initTables()
	if u == Unicode16 {
		c := *s
		c.u = ucd16
		return &c
	}
	return s
}

// CompileUnicode is [Compile] with the rune classes of Unicode version u for
// the known patterns. Other patterns run on regexp2, which has Go's tables
// whatever u is.
func CompileUnicode(pattern string, u Unicode) (Splitter, error) {
	if s := KnownUnicode(pattern, u); s != nil {
		return s, nil
	}
	return CompileRegexp(pattern)
}

// KnownPatterns returns the patterns [Known] has a scanner for, in a fixed
// order.
func KnownPatterns() []string {
	out := make([]string, len(knownOrder))
	copy(out, knownOrder)
	return out
}

// regexpSplitter runs a pattern with regexp2.
type regexpSplitter struct {
	re *regexp2.Regexp
}

// CompileRegexp returns a Splitter that always runs pattern with the regexp2
// engine (Unicode classes, lookahead, possessive quantifiers and atomic
// groups, backtracking). Tests use it as the reference for the hand-written
// scanners.
//
// regexp2 follows .NET, whose $ also matches before a final "\n" (Rust's
// does not); none of the known patterns can tell the difference, because
// their $ always follows a possessive or greedy \s run that takes that "\n".
func CompileRegexp(pattern string) (Splitter, error) {
	re, err := regexp2.Compile(pattern, regexp2.Unicode)
	if err != nil {
		return nil, fmt.Errorf("pretok: compile %q: %w", pattern, err)
	}
	return &regexpSplitter{re: re}, nil
}

func (s *regexpSplitter) FindAll(dst []Span, text string) []Span {
	if text == "" {
		return dst
	}
	idx, err := s.re.FindAllStringIndex(text, -1)
	if err != nil {
		// Only a match timeout can fail, and none is set.
		return dst
	}
	for _, m := range idx {
		if m[1] > m[0] {
			dst = append(dst, Span{Start: m[0], End: m[1]})
		}
	}
	return dst
}
