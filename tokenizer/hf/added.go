package hf

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AddedToken is one entry of tokenizer.json's added_tokens.
type AddedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// addedMatcher finds added tokens leftmost-longest, like the Aho-Corasick
// automaton (MatchKind::LeftmostLongest) of HF's AddedVocabulary.
type addedMatcher struct {
	first   [256]bool
	byFirst [256][]*AddedToken // longest first
	any     bool
}

func newAddedMatcher(toks []*AddedToken, pattern func(*AddedToken) string) *addedMatcher {
	m := &addedMatcher{}
	type entry struct {
		pat string
		t   *AddedToken
	}
	var es []entry
	for _, t := range toks {
		p := pattern(t)
		if p == "" {
			continue
		}
		es = append(es, entry{p, t})
	}
	sort.SliceStable(es, func(i, j int) bool { return len(es[i].pat) > len(es[j].pat) })
	for _, e := range es {
		c := e.pat[0]
		m.first[c] = true
		// Store the pattern as the token's match text.
		t := *e.t
		t.Content = e.pat
		m.byFirst[c] = append(m.byFirst[c], &t)
		m.any = true
	}
	return m
}

// find returns the leftmost-longest match at or after from.
func (m *addedMatcher) find(s string, from int) (t *AddedToken, start int, ok bool) {
	for i := from; i < len(s); i++ {
		if !m.first[s[i]] {
			continue
		}
		for _, c := range m.byFirst[s[i]] {
			if strings.HasPrefix(s[i:], c.Content) {
				return c, i, true
			}
		}
	}
	return nil, 0, false
}

// segment is a stretch of input: text (id < 0) or an added token.
type segment struct {
	s   string
	off int
	id  int
}

// splitAdded is AddedVocabulary::find_matches: cut s into text and added
// tokens. Special tokens are skipped (left as text) when !parseSpecial.
func (m *addedMatcher) splitAdded(dst []segment, s string, off int, parseSpecial bool) []segment {
	if m == nil || !m.any {
		if s != "" {
			dst = append(dst, segment{s: s, off: off, id: -1})
		}
		return dst
	}
	startOff := 0
	pos := 0
	for pos < len(s) {
		t, start, ok := m.find(s, pos)
		if !ok {
			break
		}
		stop := start + len(t.Content)
		pos = stop
		if !parseSpecial && t.Special {
			continue
		}
		if t.SingleWord {
			r1, _ := utf8.DecodeLastRuneInString(s[:start])
			r2, _ := utf8.DecodeRuneInString(s[stop:])
			startSpace := start == 0 || !isWordRune(r1)
			stopSpace := stop == len(s) || !isWordRune(r2)
			if !startSpace || !stopSpace {
				continue
			}
		}
		if t.LStrip {
			ns := len(strings.TrimRightFunc(s[:start], unicode.IsSpace))
			start = max(ns, startOff)
		}
		if t.RStrip {
			// The search resumes at the end of the match itself, not of
			// the stripped spaces (the Aho-Corasick iterator does not
			// know about them), so a token starting with a space can
			// match inside them, as in HF.
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
		}
		if startOff < start {
			dst = append(dst, segment{s: s[startOff:start], off: off + startOff, id: -1})
		}
		dst = append(dst, segment{s: s[start:stop], off: off + start, id: t.ID})
		startOff = stop
	}
	if startOff < len(s) {
		dst = append(dst, segment{s: s[startOff:], off: off + startOff, id: -1})
	}
	return dst
}
