package tokenizer

import "unicode/utf8"

// ValidUTF8 converts decoded bytes to text, replacing each maximal subpart of
// an ill-formed UTF-8 sequence with one U+FFFD: the Unicode "substitution of
// maximal subparts" practice (Unicode §3.9) that Rust's
// String::from_utf8_lossy (HF tokenizers), Python's errors="replace"
// (tiktoken) and the WHATWG TextDecoder follow. Go's strings.ToValidUTF8
// differs: it merges a whole run of bad bytes into one U+FFFD.
func ValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		if c := b[i]; c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		if _, n := utf8.DecodeRune(b[i:]); n > 1 {
			out = append(out, b[i:i+n]...)
			i += n
			continue
		}
		out = append(out, "\uFFFD"...)
		i += maximalSubpart(b[i:])
	}
	return string(out)
}

// maximalSubpart returns the length (at least 1) of the longest prefix of b
// that starts a well-formed UTF-8 sequence without completing it, following
// the table of well-formed byte sequences in Unicode §3.9 (Table 3-7).
func maximalSubpart(b []byte) int {
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}
