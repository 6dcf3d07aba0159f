package pretok

import (
	"reflect"
	"testing"
)

// TestUnicode16Table checks the generated delta (sorted, disjoint, each range
// really different from Go's tables) and that the Unicode 16 class of every
// other code point is Go's.
func TestUnicode16Table(t *testing.T) {
	initTables()
	for i, d := range unicode16Delta {
		if d.lo > d.hi || (i > 0 && unicode16Delta[i-1].hi >= d.lo) {
			t.Fatalf("delta %d %+v is empty or out of order", i, d)
		}
	}
	in := func(r rune) (uint8, bool) {
		for _, d := range unicode16Delta {
			if d.lo <= r && r <= d.hi {
				return d.c, true
			}
		}
		return 0, false
	}
	for r := rune(0); r < 0x110000; r += 1 + r/0x4000*7 { // every BMP rune, a sample above
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		var got16, gotGo uint8
		if r < 0x10000 {
			got16, gotGo = ucd16.bmp[r], ucdGo.bmp[r]
		} else {
			got16, gotGo = ucd16.astral(r), ucdGo.astral(r)
		}
		if gotGo != computeClass(r) {
			t.Fatalf("U+%04X: Go class %#x, want %#x", r, gotGo, computeClass(r))
		}
		want := computeClass(r)
		if c, ok := in(r); ok {
			want = c
		}
		if got16 != want {
			t.Fatalf("U+%04X: Unicode 16 class %#x, want %#x", r, got16, want)
		}
	}
	for _, d := range unicode16Delta {
		for _, r := range []rune{d.lo, d.hi} {
			if c, _ := ucd16.class(string(r), 0); c != d.c {
				t.Errorf("U+%04X: class %#x, want %#x", r, c, d.c)
			}
		}
	}
}

// TestUnicode16Splits are splits that tiktoken 1.0.22 made differently from
// the Go-table scanners (found by tokenizer/tiktoken's differential test):
// code points new in Unicode 15.1/16.0 are letters or digits there.
func TestUnicode16Splits(t *testing.T) {
	cases := []struct {
		pattern, text string
		go15, u16     []string
	}{
		// Gurung Khema (16.0, Lo): the apostrophe then starts 'll.
		{PatternGPT2, "ትግርኛ\U00016100\U00016101'll", []string{"ትግርኛ", "\U00016100\U00016101'", "ll"}, []string{"ትግርኛ\U00016100\U00016101", "'ll"}},
		// Todhri (16.0, Lo) after a letter run.
		{PatternGPT2, "don llama\U000105c0", []string{"don", " llama", "\U000105c0"}, []string{"don", " llama\U000105c0"}},
		// U+1C89/U+1C8A Cyrillic TJE (16.0, Lu/Ll) in o200k's case classes.
		{PatternO200K, "\u1c8a\u1c89", []string{"\u1c8a\u1c89"}, []string{"\u1c8a", "\u1c89"}},
		{PatternO200K, "\u1c89\u1c8aX", []string{"\u1c89\u1c8a", "X"}, []string{"\u1c89\u1c8a", "X"}},
		// Garay digits (16.0, Nd) are \p{N}: at most three per piece.
		{PatternCL100K, "\U00010d40\U00010d41\U00010d42\U00010d43", []string{"\U00010d40\U00010d41\U00010d42\U00010d43"}, []string{"\U00010d40\U00010d41\U00010d42", "\U00010d43"}},
		// CJK Extension I (15.1, Lo).
		{PatternCL100K, "a\U0002ebf0!", []string{"a", "\U0002ebf0!"}, []string{"a\U0002ebf0", "!"}},
	}
	for _, c := range cases {
		for _, v := range []struct {
			u    Unicode
			want []string
		}{{UnicodeGo, c.go15}, {Unicode16, c.u16}} {
			s := KnownUnicode(c.pattern, v.u)
			if got := pieces(c.text, s.FindAll(nil, c.text)); !reflect.DeepEqual(got, v.want) {
				t.Errorf("%s (Unicode %d) on %q: %q, want %q", patternName(c.pattern), v.u, c.text, got, v.want)
			}
		}
	}
	if s, err := CompileUnicode(PatternGPT2, Unicode16); err != nil || s.(*scanner).u != ucd16 {
		t.Errorf("CompileUnicode(GPT-2, Unicode16) = %v, %v", s, err)
	}
	if Known(PatternGPT2).(*scanner).u != ucdGo {
		t.Error("Known must keep Go's tables")
	}
}
