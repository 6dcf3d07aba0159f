// Package pretok splits text into the pieces ("pre-tokens") that BPE then
// merges inside, as the split regexes of GPT-2, tiktoken (cl100k, o200k),
// Llama 3 and Qwen do.
//
// Those regexes need lookahead (`\s+(?!\S)`) that Go's regexp lacks. Known
// patterns get hand-written scanners (no regexp at run time); any other
// pattern falls back to a backtracking engine with lookahead
// (github.com/dlclark/regexp2), whose semantics follow .NET/Oniguruma closely
// enough for the patterns tokenizer files use.
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

// Known returns the hand-written scanner for pattern, or nil when there is none.
func Known(pattern string) Splitter {
	return nil
}

// regexpSplitter runs a pattern with regexp2.
type regexpSplitter struct {
	re *regexp2.Regexp
}

// CompileRegexp returns a Splitter that always runs pattern with the regexp2
// engine (Unicode classes, lookahead, possessive-free backtracking). Tests use
// it as the reference for the hand-written scanners.
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
