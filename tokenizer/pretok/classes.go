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
	bmpClass   []uint8    // indexed by rune < 0x10000, built by initTables
	tablesOnce sync.Once
)

func init() {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		asciiClass[r] = computeClass(r)
	}
}

// initTables builds the BMP class table (64 KiB) once; every scanner
// constructor calls it.
func initTables() {
	tablesOnce.Do(func() {
		t := make([]uint8, 0x10000)
		for r := rune(0); r < 0x10000; r++ {
			t[r] = computeClass(r)
		}
		bmpClass = t
	})
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
func class(s string, i int) (uint8, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	return classSlow(s, i)
}

func classSlow(s string, i int) (uint8, int) {
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return 0, 1
	}
	if r < 0x10000 {
		return bmpClass[r], n
	}
	return computeClass(r), n
}
