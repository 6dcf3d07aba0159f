package charsmap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Map is a parsed precompiled_charsmap. It is read-only once parsed and safe
// for concurrent use.
type Map struct {
	units []uint32 // the double-array trie
	pool  string   // NUL-terminated replacement strings
}

// maxResults is how many prefix matches SentencePiece's normalizer keeps
// (Normalizer::kMaxTrieResultsSize); it picks the longest among them.
const maxResults = 32

// ErrMalformed is wrapped by every error Parse returns.
var ErrMalformed = errors.New("malformed precompiled_charsmap")

// Parse reads a precompiled_charsmap blob: a little-endian uint32 trie size
// in bytes, the trie's uint32 units, then the NUL-separated replacement
// strings. The blob is copied: the caller may reuse it.
//
// It returns an error wrapping [ErrMalformed] when the blob is too short, the
// trie size is zero, not a multiple of 4 or larger than the blob, or the
// replacement strings are not valid UTF-8 (HF tokenizers rejects those too).
func Parse(blob []byte) (*Map, error) {
	if len(blob) < 4 {
		return nil, fmt.Errorf("charsmap: %w: %d bytes, need at least 4 for the trie size", ErrMalformed, len(blob))
	}
	size := uint64(binary.LittleEndian.Uint32(blob))
	rest := blob[4:]
	switch {
	case size == 0:
		return nil, fmt.Errorf("charsmap: %w: empty trie", ErrMalformed)
	case size%4 != 0:
		return nil, fmt.Errorf("charsmap: %w: trie size %d is not a multiple of 4", ErrMalformed, size)
	case size > uint64(len(rest)):
		return nil, fmt.Errorf("charsmap: %w: trie size %d exceeds the %d bytes after the header", ErrMalformed, size, len(rest))
	}
	units := make([]uint32, size/4)
	for i := range units {
		units[i] = binary.LittleEndian.Uint32(rest[4*i:])
	}
	pool := rest[size:]
	if !utf8.Valid(pool) {
		return nil, fmt.Errorf("charsmap: %w: replacement strings are not valid UTF-8", ErrMalformed)
	}
	return &Map{units: units, pool: string(pool)}, nil
}

// Darts-clone unit layout.
func hasLeaf(u uint32) bool  { return u>>8&1 == 1 }
func value(u uint32) int     { return int(u & (1<<31 - 1)) }
func label(u uint32) uint32  { return u & (1<<31 | 0xFF) }
func offset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }

// prefixSearch walks the trie along key and calls fn with the length of
// every prefix of key that is a rule and the rule's value, shortest first,
// until fn returns false. Like Darts-clone (and spm_precompiled) it stops at
// a NUL byte. Positions outside the array end the walk.
func (m *Map) prefixSearch(key string, fn func(n, v int) bool) {
	a := m.units
	pos := offset(a[0])
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == 0 {
			return
		}
		pos ^= uint32(c)
		if int(pos) >= len(a) {
			return
		}
		u := a[pos]
		if label(u) != uint32(c) {
			return
		}
		pos ^= offset(u)
		if hasLeaf(u) {
			if int(pos) >= len(a) {
				return
			}
			if !fn(i+1, value(a[pos])) {
				return
			}
		}
	}
}

// replacement returns the NUL-terminated string at offset v of the pool. A
// value past the pool or inside a multi-byte character (only in a hostile
// blob) is reported as not found.
func (m *Map) replacement(v int) (string, bool) {
	if v > len(m.pool) || (v < len(m.pool) && !utf8.RuneStart(m.pool[v])) {
		return "", false
	}
	s := m.pool[v:]
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return s, true
}

// shortest returns the replacement of the shortest rule matching a prefix of
// s, as spm_precompiled's transform does.
func (m *Map) shortest(s string) (string, bool) {
	out, ok := "", false
	m.prefixSearch(s, func(_, v int) bool {
		out, ok = m.replacement(v)
		return false
	})
	return out, ok
}

// NormalizePrefix normalizes the start of s with SentencePiece's rule
// (normalizer.cc, Normalizer::NormalizePrefix): among the first 32 rules that
// match a prefix of s, the longest wins. It returns the replacement, the
// number of bytes of s it replaces, and ok = true.
//
// When no rule matches, ok is false and the first character of s passes
// through unchanged (consumed is its length); a byte that does not start a
// valid UTF-8 character becomes "\uFFFD" with consumed 1. An empty s gives
// ("", 0, false).
func (m *Map) NormalizePrefix(s string) (out string, consumed int, ok bool) {
	if s == "" {
		return "", 0, false
	}
	best, bestValue, k := 0, 0, 0
	m.prefixSearch(s, func(n, v int) bool {
		if n > best {
			best, bestValue = n, v
		}
		k++
		return k < maxResults
	})
	if best > 0 {
		if rep, valid := m.replacement(bestValue); valid {
			return rep, best, true
		}
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		return "\uFFFD", 1, false
	}
	return s[:size], size, false
}

// Normalize returns s normalized with HF tokenizers' Precompiled semantics:
// s is cut into extended grapheme clusters; a cluster of fewer than 6 bytes
// that some rule matches a prefix of is replaced whole by the shortest such
// rule's replacement (the rest of the cluster is dropped, as in HF);
// otherwise each character is replaced by its own rule, or kept. Bytes of s
// that are not valid UTF-8 become U+FFFD.
func (m *Map) Normalize(s string) string {
	out, _ := m.normalize(s, false)
	return out
}

// NormalizeAlign is [Map.Normalize] that also returns, for each byte of the
// output, the byte offset in s of the character or cluster it came from, so
// callers can map offsets of the normalized text back to s. A replaced
// cluster maps all its output bytes to the cluster's start.
func (m *Map) NormalizeAlign(s string) (string, []int) {
	return m.normalize(s, true)
}

// NormalizeSpans is [Map.Normalize] that also returns, for each byte of the
// output, the byte range of s it stands for, as HF's Precompiled normalizer
// aligns it: the replacement of each cluster or character is recorded as
// (character, change) transformations (a longer replacement's extra
// characters are insertions, which take the alignment of the character
// before them; a shorter one's last character also removes what is left,
// and a removal with nothing before it is lost, so the characters after it
// shift onto the removed ones, exactly as NormalizedString::transform does).
func (m *Map) NormalizeSpans(s string) (string, [][2]int) {
	type tr struct {
		r      rune
		change int
	}
	var trs []tr
	var olds [][2]int // the input characters
	replace := func(old, rep string) {
		oc := utf8.RuneCountInString(old)
		n0 := len(trs)
		for _, r := range rep {
			trs = append(trs, tr{r, 0})
		}
		switch diff := len(trs) - n0 - oc; {
		case diff > 0:
			for k := len(trs) - diff; k < len(trs); k++ {
				trs[k].change = 1
			}
		case diff < 0:
			if len(trs) > 0 {
				trs[len(trs)-1].change += diff
			}
		}
	}
	for start := 0; start < len(s); {
		n := nextGrapheme(s[start:])
		g := s[start : start+n]
		for i := 0; i < len(g); {
			_, size := utf8.DecodeRuneInString(g[i:])
			olds = append(olds, [2]int{start + i, start + i + size})
			i += size
		}
		if n < 6 {
			if rep, ok := m.shortest(g); ok {
				replace(g, rep)
				start += n
				continue
			}
		}
		for i := 0; i < len(g); {
			r, size := utf8.DecodeRuneInString(g[i:])
			c := g[i : i+size]
			if r == utf8.RuneError && size == 1 {
				replace(c, "\uFFFD")
			} else if rep, ok := m.shortest(c); ok {
				replace(c, rep)
			} else {
				trs = append(trs, tr{r, 0})
			}
			i += size
		}
		start += n
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	spans := make([][2]int, 0, len(s)+len(s)/4)
	k := 0 // next input character
	for _, t := range trs {
		var sp [2]int
		if t.change > 0 {
			if k > 0 {
				sp = olds[k-1]
			}
		} else {
			if k < len(olds) {
				sp = olds[k]
			} else if len(olds) > 0 {
				sp = olds[len(olds)-1]
			}
			k++
			if t.change < 0 {
				k += -t.change
			}
		}
		b.WriteRune(t.r)
		for range utf8.RuneLen(t.r) {
			spans = append(spans, sp)
		}
	}
	return b.String(), spans
}

func (m *Map) normalize(s string, align bool) (string, []int) {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	var pos []int
	emit := func(text string, at int) {
		b.WriteString(text)
		if align {
			for range len(text) {
				pos = append(pos, at)
			}
		}
	}
	for start := 0; start < len(s); {
		n := nextGrapheme(s[start:])
		g := s[start : start+n]
		if n < 6 {
			if rep, ok := m.shortest(g); ok {
				emit(rep, start)
				start += n
				continue
			}
		}
		for i := 0; i < len(g); {
			r, size := utf8.DecodeRuneInString(g[i:])
			c := g[i : i+size]
			if r == utf8.RuneError && size == 1 {
				c = "\uFFFD"
			} else if rep, ok := m.shortest(c); ok {
				c = rep
			}
			emit(c, start+i)
			i += size
		}
		start += n
	}
	return b.String(), pos
}
