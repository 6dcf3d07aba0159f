package tokenizer

import (
	"sort"
	"strings"
)

// SpecialMatcher finds special-token text in an input, leftmost first and,
// among matches that start at the same byte, longest first (the
// leftmost-longest rule of HF's added-token Aho-Corasick and of tiktoken's
// special regex, whose alternatives are sorted by length).
//
// A zero or nil *SpecialMatcher matches nothing.
type SpecialMatcher struct {
	first [256]bool
	// byFirst[c] lists the tokens that start with byte c, longest first.
	byFirst map[byte][]SpecialToken
}

// NewSpecialMatcher builds a matcher over tokens. Tokens with empty text are
// ignored.
func NewSpecialMatcher(tokens []SpecialToken) *SpecialMatcher {
	m := &SpecialMatcher{byFirst: map[byte][]SpecialToken{}}
	for _, t := range tokens {
		if t.Text == "" {
			continue
		}
		c := t.Text[0]
		m.first[c] = true
		m.byFirst[c] = append(m.byFirst[c], t)
	}
	for c, l := range m.byFirst {
		sort.SliceStable(l, func(i, j int) bool { return len(l[i].Text) > len(l[j].Text) })
		m.byFirst[c] = l
	}
	return m
}

// Segment is a piece of input: either ordinary text or one special token.
type Segment struct {
	// Start is the byte offset of the segment in the input.
	Start int
	// Text is the segment's text (for a special token, its text).
	Text string
	// ID is the special token's id, or -1 for ordinary text.
	ID int
}

// Find returns the first special token in text at or after byte from, and its
// start offset; ok is false when there is none.
func (m *SpecialMatcher) Find(text string, from int) (tok SpecialToken, start int, ok bool) {
	if m == nil || len(m.byFirst) == 0 {
		return SpecialToken{}, 0, false
	}
	for i := from; i < len(text); i++ {
		if !m.first[text[i]] {
			continue
		}
		for _, t := range m.byFirst[text[i]] {
			if strings.HasPrefix(text[i:], t.Text) {
				return t, i, true
			}
		}
	}
	return SpecialToken{}, 0, false
}

// Split cuts text into ordinary-text segments and special-token segments, in
// order. Empty ordinary segments are left out. With a nil matcher the whole
// text is one segment.
func (m *SpecialMatcher) Split(text string) []Segment {
	var out []Segment
	pos := 0
	for pos < len(text) {
		t, at, ok := m.Find(text, pos)
		if !ok {
			break
		}
		if at > pos {
			out = append(out, Segment{Start: pos, Text: text[pos:at], ID: -1})
		}
		out = append(out, Segment{Start: at, Text: t.Text, ID: t.ID})
		pos = at + len(t.Text)
	}
	if pos < len(text) {
		out = append(out, Segment{Start: pos, Text: text[pos:], ID: -1})
	}
	return out
}
