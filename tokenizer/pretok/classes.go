package pretok

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Rune class bits. A rune with none of cL, cN, cS is "other"
// ([^\s\p{L}\p{N}]); invalid UTF-8 bytes have no bit at all.
const (
	cL  = 1 << iota // \p{L}
	cN              // \p{N}
	cS              // \s (White_Space)
	cU              // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] (o200k "upper")
	cW              // [\p{Ll}\p{Lm}\p{Lo}\p{M}] (o200k "lower")
	cNL             // \r or \n

	cLNS = cL | cN | cS
)

var (
	asciiClass [256]uint8 // only the first 128 entries are used
	tablesOnce sync.Once
)

// ucd is one version of the Unicode Character Database as rune classes.
type ucd struct {
	// bmp is indexed by rune < 0x10000, built by initTables.
	bmp []uint8
	// delta lists, sorted, the ranges whose class differs from Go's
	// unicode package (nil for Go's own version).
	delta []classRange
}

// classRange gives the runes lo..hi (inclusive) the class c.
type classRange struct {
	lo, hi rune
	c      uint8
}

var (
	// ucdGo is Go's unicode package (Unicode 15.0.0 in Go 1.21 to 1.26).
	ucdGo = &ucd{}
	// ucd16 is Unicode 16.0.0 (Rust regex-syntax 0.8.5 and later: tiktoken).
	ucd16 = &ucd{delta: unicode16Delta}
)

func init() {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		asciiClass[r] = computeClass(r)
	}
}

// initTables builds the BMP class tables (64 KiB each) once; every scanner
// constructor calls it.
func initTables() {
	tablesOnce.Do(func() {
		t := make([]uint8, 0x10000)
		for r := rune(0); r < 0x10000; r++ {
			t[r] = computeClass(r)
		}
		ucdGo.bmp = t
		t16 := make([]uint8, 0x10000)
		copy(t16, t)
		for _, d := range unicode16Delta {
			for r := d.lo; r <= d.hi && r < 0x10000; r++ {
				t16[r] = d.c
			}
		}
		ucd16.bmp = t16
	})
}

// astral returns the class of a rune >= 0x10000.
func (u *ucd) astral(r rune) uint8 {
	if d := u.delta; len(d) > 0 && r >= d[0].lo && r <= d[len(d)-1].hi {
		lo, hi := 0, len(d)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			switch {
			case r < d[m].lo:
				hi = m
			case r > d[m].hi:
				lo = m + 1
			default:
				return d[m].c
			}
		}
	}
	return computeClass(r)
}

func computeClass(r rune) uint8 {
	var f uint8
	if unicode.IsLetter(r) {
		f |= cL
	}
	if unicode.IsNumber(r) {
		f |= cN
	}
	// unicode.IsSpace is exactly the White_Space property.
	if unicode.IsSpace(r) {
		f |= cS
	}
	m := unicode.IsMark(r)
	lm := unicode.Is(unicode.Lm, r)
	lo := unicode.Is(unicode.Lo, r)
	if m || lm || lo || unicode.Is(unicode.Lu, r) || unicode.Is(unicode.Lt, r) {
		f |= cU
	}
	if m || lm || lo || unicode.Is(unicode.Ll, r) {
		f |= cW
	}
	if r == '\r' || r == '\n' {
		f |= cNL
	}
	return f
}

// class returns the class bits and byte length of the rune at s[i]
// (i < len(s)). An invalid byte is one rune of length 1 with class 0.
func (u *ucd) class(s string, i int) (uint8, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	return u.classSlow(s, i)
}

func (u *ucd) classSlow(s string, i int) (uint8, int) {
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return 0, 1
	}
	if r < 0x10000 {
		return u.bmp[r], n
	}
	return u.astral(r), n
}
