package charsmap

import (
	"unicode"
	"unicode/utf8"
)

// Grapheme_Cluster_Break classes (UAX #29, table 2), plus Extended_Pictographic.
type gcbClass uint8

const (
	gcbOther gcbClass = iota
	gcbCR
	gcbLF
	gcbControl
	gcbExtend
	gcbZWJ
	gcbRI
	gcbPrepend
	gcbSpacingMark
	gcbL
	gcbV
	gcbT
	gcbLV
	gcbLVT
	gcbExtPict
)

// prepend lists Grapheme_Cluster_Break=Prepend characters that are not
// Prepended_Concatenation_Mark (Unicode 15 GraphemeBreakProperty.txt).
var prepend = &unicode.RangeTable{
	R16: []unicode.Range16{{Lo: 0x0d4e, Hi: 0x0d4e, Stride: 1}},
	R32: []unicode.Range32{
		{Lo: 0x111c2, Hi: 0x111c3, Stride: 1},
		{Lo: 0x1193f, Hi: 0x1193f, Stride: 1},
		{Lo: 0x11941, Hi: 0x11941, Stride: 1},
		{Lo: 0x11a3a, Hi: 0x11a3a, Stride: 1},
		{Lo: 0x11a84, Hi: 0x11a89, Stride: 1},
		{Lo: 0x11d46, Hi: 0x11d46, Stride: 1},
		{Lo: 0x11f02, Hi: 0x11f02, Stride: 1},
	},
}

// notSpacingMark lists Mc characters that UAX #29 excludes from SpacingMark.
var notSpacingMark = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x102b, Hi: 0x102c, Stride: 1},
		{Lo: 0x1038, Hi: 0x1038, Stride: 1},
		{Lo: 0x1062, Hi: 0x1064, Stride: 1},
		{Lo: 0x1067, Hi: 0x106d, Stride: 1},
		{Lo: 0x1083, Hi: 0x1083, Stride: 1},
		{Lo: 0x1087, Hi: 0x108c, Stride: 1},
		{Lo: 0x108f, Hi: 0x108f, Stride: 1},
		{Lo: 0x109a, Hi: 0x109c, Stride: 1},
		{Lo: 0x1a61, Hi: 0x1a61, Stride: 1},
		{Lo: 0x1a63, Hi: 0x1a64, Stride: 1},
		{Lo: 0xaa7b, Hi: 0xaa7b, Stride: 1},
		{Lo: 0xaa7d, Hi: 0xaa7d, Stride: 1},
	},
	R32: []unicode.Range32{{Lo: 0x11720, Hi: 0x11721, Stride: 1}},
}

// extPict approximates Extended_Pictographic (emoji-data.txt). Only rule
// GB11 (emoji ZWJ sequences) uses it, and those clusters are always 6 bytes
// or longer, which Normalize treats character by character anyway, so an
// imprecise table cannot change its output.
var extPict = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x00a9, Hi: 0x00a9, Stride: 1},
		{Lo: 0x00ae, Hi: 0x00ae, Stride: 1},
		{Lo: 0x203c, Hi: 0x203c, Stride: 1},
		{Lo: 0x2049, Hi: 0x2049, Stride: 1},
		{Lo: 0x2122, Hi: 0x2122, Stride: 1},
		{Lo: 0x2139, Hi: 0x2139, Stride: 1},
		{Lo: 0x2194, Hi: 0x2199, Stride: 1},
		{Lo: 0x21a9, Hi: 0x21aa, Stride: 1},
		{Lo: 0x231a, Hi: 0x231b, Stride: 1},
		{Lo: 0x2328, Hi: 0x2328, Stride: 1},
		{Lo: 0x2388, Hi: 0x2388, Stride: 1},
		{Lo: 0x23cf, Hi: 0x23cf, Stride: 1},
		{Lo: 0x23e9, Hi: 0x23f3, Stride: 1},
		{Lo: 0x23f8, Hi: 0x23fa, Stride: 1},
		{Lo: 0x24c2, Hi: 0x24c2, Stride: 1},
		{Lo: 0x25aa, Hi: 0x25ab, Stride: 1},
		{Lo: 0x25b6, Hi: 0x25b6, Stride: 1},
		{Lo: 0x25c0, Hi: 0x25c0, Stride: 1},
		{Lo: 0x25fb, Hi: 0x25fe, Stride: 1},
		{Lo: 0x2600, Hi: 0x2605, Stride: 1},
		{Lo: 0x2607, Hi: 0x2612, Stride: 1},
		{Lo: 0x2614, Hi: 0x2685, Stride: 1},
		{Lo: 0x2690, Hi: 0x2705, Stride: 1},
		{Lo: 0x2708, Hi: 0x2712, Stride: 1},
		{Lo: 0x2714, Hi: 0x2714, Stride: 1},
		{Lo: 0x2716, Hi: 0x2716, Stride: 1},
		{Lo: 0x271d, Hi: 0x271d, Stride: 1},
		{Lo: 0x2721, Hi: 0x2721, Stride: 1},
		{Lo: 0x2728, Hi: 0x2728, Stride: 1},
		{Lo: 0x2733, Hi: 0x2734, Stride: 1},
		{Lo: 0x2744, Hi: 0x2744, Stride: 1},
		{Lo: 0x2747, Hi: 0x2747, Stride: 1},
		{Lo: 0x274c, Hi: 0x274c, Stride: 1},
		{Lo: 0x274e, Hi: 0x274e, Stride: 1},
		{Lo: 0x2753, Hi: 0x2755, Stride: 1},
		{Lo: 0x2757, Hi: 0x2757, Stride: 1},
		{Lo: 0x2763, Hi: 0x2767, Stride: 1},
		{Lo: 0x2795, Hi: 0x2797, Stride: 1},
		{Lo: 0x27a1, Hi: 0x27a1, Stride: 1},
		{Lo: 0x27b0, Hi: 0x27b0, Stride: 1},
		{Lo: 0x27bf, Hi: 0x27bf, Stride: 1},
		{Lo: 0x2934, Hi: 0x2935, Stride: 1},
		{Lo: 0x2b05, Hi: 0x2b07, Stride: 1},
		{Lo: 0x2b1b, Hi: 0x2b1c, Stride: 1},
		{Lo: 0x2b50, Hi: 0x2b50, Stride: 1},
		{Lo: 0x2b55, Hi: 0x2b55, Stride: 1},
		{Lo: 0x3030, Hi: 0x3030, Stride: 1},
		{Lo: 0x303d, Hi: 0x303d, Stride: 1},
		{Lo: 0x3297, Hi: 0x3297, Stride: 1},
		{Lo: 0x3299, Hi: 0x3299, Stride: 1},
	},
	R32: []unicode.Range32{
		{Lo: 0x1f000, Hi: 0x1f0ff, Stride: 1},
		{Lo: 0x1f10d, Hi: 0x1f10f, Stride: 1},
		{Lo: 0x1f12f, Hi: 0x1f12f, Stride: 1},
		{Lo: 0x1f16c, Hi: 0x1f171, Stride: 1},
		{Lo: 0x1f17e, Hi: 0x1f17f, Stride: 1},
		{Lo: 0x1f18e, Hi: 0x1f18e, Stride: 1},
		{Lo: 0x1f191, Hi: 0x1f19a, Stride: 1},
		{Lo: 0x1f1ad, Hi: 0x1f1e5, Stride: 1},
		{Lo: 0x1f201, Hi: 0x1f20f, Stride: 1},
		{Lo: 0x1f21a, Hi: 0x1f21a, Stride: 1},
		{Lo: 0x1f22f, Hi: 0x1f22f, Stride: 1},
		{Lo: 0x1f232, Hi: 0x1f23a, Stride: 1},
		{Lo: 0x1f23c, Hi: 0x1f23f, Stride: 1},
		{Lo: 0x1f249, Hi: 0x1f3fa, Stride: 1},
		{Lo: 0x1f400, Hi: 0x1f53d, Stride: 1},
		{Lo: 0x1f546, Hi: 0x1f64f, Stride: 1},
		{Lo: 0x1f680, Hi: 0x1f6ff, Stride: 1},
		{Lo: 0x1f774, Hi: 0x1f77f, Stride: 1},
		{Lo: 0x1f7d5, Hi: 0x1f7ff, Stride: 1},
		{Lo: 0x1f80c, Hi: 0x1f80f, Stride: 1},
		{Lo: 0x1f848, Hi: 0x1f84f, Stride: 1},
		{Lo: 0x1f85a, Hi: 0x1f85f, Stride: 1},
		{Lo: 0x1f888, Hi: 0x1f88f, Stride: 1},
		{Lo: 0x1f8ae, Hi: 0x1f8ff, Stride: 1},
		{Lo: 0x1f90c, Hi: 0x1f93a, Stride: 1},
		{Lo: 0x1f93c, Hi: 0x1f945, Stride: 1},
		{Lo: 0x1f947, Hi: 0x1faff, Stride: 1},
		{Lo: 0x1fc00, Hi: 0x1fffd, Stride: 1},
	},
}

// incbConsonant is Indic_Conjunct_Break=Consonant (Unicode 15.1
// DerivedCoreProperties.txt): the consonants of the six scripts whose
// virama forms conjuncts.
var incbConsonant = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x0915, Hi: 0x0939, Stride: 1}, {Lo: 0x0958, Hi: 0x095f, Stride: 1}, {Lo: 0x0978, Hi: 0x097f, Stride: 1},
		{Lo: 0x0995, Hi: 0x09a8, Stride: 1}, {Lo: 0x09aa, Hi: 0x09b0, Stride: 1}, {Lo: 0x09b2, Hi: 0x09b2, Stride: 1},
		{Lo: 0x09b6, Hi: 0x09b9, Stride: 1}, {Lo: 0x09dc, Hi: 0x09dd, Stride: 1}, {Lo: 0x09df, Hi: 0x09df, Stride: 1},
		{Lo: 0x09f0, Hi: 0x09f1, Stride: 1},
		{Lo: 0x0a95, Hi: 0x0aa8, Stride: 1}, {Lo: 0x0aaa, Hi: 0x0ab0, Stride: 1}, {Lo: 0x0ab2, Hi: 0x0ab3, Stride: 1},
		{Lo: 0x0ab5, Hi: 0x0ab9, Stride: 1}, {Lo: 0x0af9, Hi: 0x0af9, Stride: 1},
		{Lo: 0x0b15, Hi: 0x0b28, Stride: 1}, {Lo: 0x0b2a, Hi: 0x0b30, Stride: 1}, {Lo: 0x0b32, Hi: 0x0b33, Stride: 1},
		{Lo: 0x0b35, Hi: 0x0b39, Stride: 1}, {Lo: 0x0b5c, Hi: 0x0b5d, Stride: 1}, {Lo: 0x0b5f, Hi: 0x0b5f, Stride: 1},
		{Lo: 0x0b71, Hi: 0x0b71, Stride: 1},
		{Lo: 0x0c15, Hi: 0x0c28, Stride: 1}, {Lo: 0x0c2a, Hi: 0x0c39, Stride: 1}, {Lo: 0x0c58, Hi: 0x0c5a, Stride: 1},
		{Lo: 0x0d15, Hi: 0x0d3a, Stride: 1},
	},
}

// isLinker reports Indic_Conjunct_Break=Linker: the viramas of those scripts.
func isLinker(r rune) bool {
	switch r {
	case 0x094d, 0x09cd, 0x0acd, 0x0b4d, 0x0c4d, 0x0d4d:
		return true
	}
	return false
}

// gcb returns the Grapheme_Cluster_Break class of r, derived from the
// general categories and properties in package unicode as UAX #29 defines it.
func gcb(r rune) gcbClass {
	switch {
	case r == '\r':
		return gcbCR
	case r == '\n':
		return gcbLF
	case r < 0x20 || r == 0x7f:
		return gcbControl
	case r < 0x7f:
		return gcbOther
	case r == 0x200d:
		return gcbZWJ
	case r >= 0x1100 && r <= 0x115f, r >= 0xa960 && r <= 0xa97c:
		return gcbL
	case r >= 0x1160 && r <= 0x11a7, r >= 0xd7b0 && r <= 0xd7c6:
		return gcbV
	case r >= 0x11a8 && r <= 0x11ff, r >= 0xd7cb && r <= 0xd7fb:
		return gcbT
	case r >= 0xac00 && r <= 0xd7a3:
		if (r-0xac00)%28 == 0 {
			return gcbLV
		}
		return gcbLVT
	case r >= 0x1f1e6 && r <= 0x1f1ff:
		return gcbRI
	case r >= 0x1f3fb && r <= 0x1f3ff: // Emoji_Modifier
		return gcbExtend
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Other_Grapheme_Extend):
		return gcbExtend
	case unicode.In(r, unicode.Prepended_Concatenation_Mark, prepend):
		return gcbPrepend
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp):
		if r == 0x200c {
			return gcbExtend
		}
		return gcbControl
	case r == 0x0e33 || r == 0x0eb3:
		return gcbSpacingMark
	case unicode.Is(unicode.Mc, r):
		if unicode.Is(notSpacingMark, r) {
			return gcbOther
		}
		return gcbSpacingMark
	case unicode.Is(extPict, r):
		return gcbExtPict
	}
	return gcbOther
}

// nextGrapheme returns the byte length of the first extended grapheme
// cluster of s (UAX #29 rules GB3-GB13, Unicode 15.1). A byte that is not
// valid UTF-8 is a cluster of its own. It returns 0 only for an empty s.
func nextGrapheme(s string) int {
	if s == "" {
		return 0
	}
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n == 1 {
		return 1
	}
	prev := gcb(r)
	// Fast path: printable ASCII followed by ASCII never joins.
	if prev == gcbOther && n < len(s) && s[n] < 0x80 && s[n] != '\r' {
		return n
	}
	emoji := prev == gcbExtPict // inside ExtPict Extend* (GB11)
	riCount := 0
	if prev == gcbRI {
		riCount = 1
	}
	// GB9c: 0 outside a conjunct, 1 after a consonant, 2 after a consonant
	// and a linker (with only extenders between).
	conj := 0
	if unicode.Is(incbConsonant, r) {
		conj = 1
	}
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if r == utf8.RuneError && size == 1 {
			return n
		}
		cur := gcb(r)
		join := false
		switch {
		case prev == gcbCR && cur == gcbLF: // GB3
			join = true
		case prev == gcbCR || prev == gcbLF || prev == gcbControl: // GB4
		case cur == gcbCR || cur == gcbLF || cur == gcbControl: // GB5
		case prev == gcbL && (cur == gcbL || cur == gcbV || cur == gcbLV || cur == gcbLVT): // GB6
			join = true
		case (prev == gcbLV || prev == gcbV) && (cur == gcbV || cur == gcbT): // GB7
			join = true
		case (prev == gcbLVT || prev == gcbT) && cur == gcbT: // GB8
			join = true
		case cur == gcbExtend || cur == gcbZWJ: // GB9
			join = true
		case cur == gcbSpacingMark: // GB9a
			join = true
		case conj == 2 && unicode.Is(incbConsonant, r): // GB9c
			join = true
		case prev == gcbPrepend: // GB9b
			join = true
		case prev == gcbZWJ && cur == gcbExtPict && emoji: // GB11
			join = true
		case prev == gcbRI && cur == gcbRI && riCount%2 == 1: // GB12, GB13
			join = true
		}
		if !join {
			return n
		}
		switch {
		case cur == gcbExtPict:
			emoji = true
		case cur == gcbExtend && emoji && prev != gcbZWJ:
		case cur == gcbZWJ && emoji && prev != gcbZWJ:
		default:
			emoji = false
		}
		switch {
		case unicode.Is(incbConsonant, r):
			conj = 1
		case conj > 0 && isLinker(r):
			conj = 2
		case conj > 0 && (cur == gcbExtend || cur == gcbZWJ):
		default:
			conj = 0
		}
		if cur == gcbRI {
			riCount++
		} else {
			riCount = 0
		}
		prev = cur
		n += size
	}
	return n
}
