package spm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// vocab builds a vocabulary: <unk>, <s>, </s>, the 256 byte pieces when
// bytes is set, then the given pieces. It returns the pieces and the id of
// each text.
func vocab(bytes bool, ps ...Piece) ([]Piece, map[string]int) {
	v := []Piece{{"<unk>", 0, Unknown}, {"<s>", 0, Control}, {"</s>", 0, Control}}
	if bytes {
		for b := 0; b < 256; b++ {
			v = append(v, Piece{Text: bytePiece(byte(b)), Type: Byte})
		}
	}
	v = append(v, ps...)
	ids := map[string]int{}
	for i, p := range v {
		if _, ok := ids[p.Text]; !ok {
			ids[p.Text] = i
		}
	}
	return v, ids
}

func bpeOptions(byteFallback bool) Options {
	return Options{Model: BPE, AddDummyPrefix: true, EscapeWhitespaces: true, ByteFallback: byteFallback,
		AddBOS: true, BOS: 1, EOS: 2, UNK: 0, PAD: -1}
}

// testPieces is a small BPE vocabulary; the expected segmentations below
// are worked out by hand from bpe_model.cc's rule (highest score first,
// leftmost on ties).
var testPieces = []Piece{
	{"▁", -5, Normal}, {"a", -6, Normal}, {"b", -6, Normal}, {"c", -6, Normal},
	{"▁a", -3, Normal}, {"ab", -1, Normal}, {"bc", -0.5, Normal}, {"abc", -2, Normal},
	{"aa", -1, Normal}, {"▁▁", -4, Normal}, {"<tool>", 0, UserDefined}, {"ca", -1, Unused},
	{"cab", -0.1, Normal}, {"cc", -0.2, Unused},
}

func TestEncodeTable(t *testing.T) {
	for _, fb := range []bool{false, true} {
		v, id := vocab(fb, testPieces...)
		tok, err := New(v, bpeOptions(fb))
		if err != nil {
			t.Fatal(err)
		}
		unk := func(text string) []string {
			if !fb {
				return []string{"<unk>"}
			}
			var out []string
			for _, b := range []byte(text) {
				out = append(out, bytePiece(b))
			}
			return out
		}
		cases := []struct {
			name string
			in   string
			opts tokenizer.EncodeOptions
			want []string // piece texts; "<unk>" for the unknown id
		}{
			{"empty", "", tokenizer.EncodeOptions{}, nil},
			{"empty with BOS", "", tokenizer.EncodeOptions{AddSpecial: true}, []string{"<s>"}},
			// ▁abc: bc (-0.5) first, then a+bc = abc (-2); ▁+abc is no piece.
			{"highest score first", "abc", tokenizer.EncodeOptions{}, []string{"▁", "abc"}},
			// ▁aaa: ▁a (-3) loses to aa (-1); of the two aa the leftmost merges.
			{"leftmost on ties", "aaa", tokenizer.EncodeOptions{}, []string{"▁", "aa", "a"}},
			// ▁a▁▁a: both ▁a (-3) beat ▁▁ (-4), leftmost first.
			{"space run", "a  a", tokenizer.EncodeOptions{}, []string{"▁a", "▁", "▁a"}},
			{"leading space", " a", tokenizer.EncodeOptions{}, []string{"▁", "▁a"}},
			// the user-defined piece is one frozen symbol: a and b stay apart.
			{"user defined", "a<tool>b", tokenizer.EncodeOptions{}, []string{"▁a", "<tool>", "b"}},
			// ca is unused: after c+a merges it is re-split into c, a.
			{"unused resplit", "ca", tokenizer.EncodeOptions{}, []string{"▁", "c", "a"}},
			// ...but as a step towards cab (normal) it is kept.
			{"unused as a step", "cab", tokenizer.EncodeOptions{}, []string{"▁", "cab"}},
			{"unused pair", "cc", tokenizer.EncodeOptions{}, []string{"▁", "c", "c"}},
			{"unknown run", "axyb", tokenizer.EncodeOptions{}, append(append([]string{"▁a"}, unk("xy")...), "b")},
			{"unknown multibyte", "é☃", tokenizer.EncodeOptions{}, append([]string{"▁"}, unk("é☃")...)},
			{"invalid utf8 is U+FFFD", "a\xffb", tokenizer.EncodeOptions{}, append(append([]string{"▁a"}, unk("\uFFFD")...), "b")},
			{"control text is text", "<s>", tokenizer.EncodeOptions{}, append([]string{"▁"}, unk("<s>")...)},
			{"parse special", "a<s>b", tokenizer.EncodeOptions{ParseSpecial: true}, []string{"▁a", "<s>", "▁", "b"}},
			{"add special", "a", tokenizer.EncodeOptions{AddSpecial: true}, []string{"<s>", "▁a"}},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("fallback=%v/%s", fb, c.name), func(t *testing.T) {
				got, err := tok.Encode(c.in, c.opts)
				if err != nil {
					t.Fatal(err)
				}
				var want []int
				for _, p := range c.want {
					i, ok := id[p]
					if !ok {
						t.Fatalf("piece %q not in the test vocabulary", p)
					}
					want = append(want, i)
				}
				if !slices.Equal(got, want) {
					t.Errorf("Encode(%q) = %v, want %v (%q)", c.in, got, want, c.want)
				}
			})
		}
	}
}

func TestNormalizeTable(t *testing.T) {
	v, _ := vocab(false, testPieces...)
	cases := []struct {
		name          string
		dummy, remove bool
		escape        bool
		in, want      string
	}{
		{"llama", true, false, true, "  a  b ", "▁▁▁a▁▁b▁"},
		{"remove extra", true, true, true, "  a  b ", "▁a▁b"},
		{"only spaces removed", true, true, true, "   ", ""},
		{"no dummy", false, true, true, " a b", "a▁b"},
		{"no escape", true, true, false, " a  b ", " a b"},
		{"invalid bytes", true, false, true, "\xff\xfe", "▁\uFFFD\uFFFD"},
		{"user defined kept", true, true, true, "a <tool>  b", "▁a▁<tool>▁b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := bpeOptions(false)
			o.AddDummyPrefix, o.RemoveExtraWhitespaces, o.EscapeWhitespaces = c.dummy, c.remove, c.escape
			tok, err := New(v, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(tok.normalize(nil, c.in)); got != c.want {
				t.Errorf("normalize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestDecodeTable(t *testing.T) {
	v, id := vocab(true, testPieces...)
	tok, err := New(v, bpeOptions(true))
	if err != nil {
		t.Fatal(err)
	}
	b := func(x byte) int { return id[bytePiece(x)] }
	cases := []struct {
		name string
		ids  []int
		opts tokenizer.DecodeOptions
		want string
	}{
		{"dummy prefix removed", []int{id["▁a"], id["▁a"]}, tokenizer.DecodeOptions{}, "a a"},
		{"only the first space", []int{id["▁▁"], id["a"]}, tokenizer.DecodeOptions{}, " a"},
		{"bytes reassembled", []int{id["▁"], b(0xE2), b(0x98), b(0x83)}, tokenizer.DecodeOptions{}, "☃"},
		{"invalid bytes", []int{id["a"], b(0xE2), b(0x98), id["b"]}, tokenizer.DecodeOptions{}, "a\uFFFD\uFFFDb"},
		{"leading byte space kept", []int{b(' '), id["▁a"]}, tokenizer.DecodeOptions{}, "  a"},
		{"unknown", []int{id["a"], 0}, tokenizer.DecodeOptions{}, "a \u2047 "},
		{"control shown", []int{1, id["▁a"], 2}, tokenizer.DecodeOptions{}, "<s> a</s>"},
		{"control skipped", []int{1, id["▁a"], 2}, tokenizer.DecodeOptions{SkipSpecial: true}, "a"},
		{"user defined", []int{id["<tool>"], id["▁a"]}, tokenizer.DecodeOptions{}, "<tool> a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := tok.Decode(c.ids, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("Decode(%v) = %q, want %q", c.ids, got, c.want)
			}
		})
	}
	if _, err := tok.Decode([]int{len(v)}, tokenizer.DecodeOptions{}); err == nil {
		t.Error("Decode of an id outside the vocabulary: no error")
	}
}

// TestRandomVocabMatchesNaive builds random small vocabularies (shared
// scores, spaces inside pieces, user-defined pieces) and checks Encode
// against the plain algorithm on random strings.
func TestRandomVocabMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alpha := []string{"a", "b", "c", "▁", " ", "é"}
	for trial := 0; trial < 200; trial++ {
		var ps []Piece
		seen := map[string]bool{}
		for len(ps) < 30 {
			var sb strings.Builder
			for n := 1 + rng.IntN(4); n > 0; n-- {
				sb.WriteString(alpha[rng.IntN(4)])
			}
			s := sb.String()
			if seen[s] {
				continue
			}
			seen[s] = true
			typ := Normal
			if rng.IntN(15) == 0 && len(s) > 1 {
				typ = UserDefined
			}
			ps = append(ps, Piece{Text: s, Score: -float32(rng.IntN(6)), Type: typ})
		}
		fb := trial%2 == 0
		v, _ := vocab(fb, ps...)
		o := bpeOptions(fb)
		o.RemoveExtraWhitespaces = trial%3 == 0
		tok, err := New(v, o)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 20; k++ {
			var sb strings.Builder
			for n := rng.IntN(40); n > 0; n-- {
				sb.WriteString(alpha[rng.IntN(len(alpha))])
			}
			s := sb.String()
			got, _ := tok.Encode(s, tokenizer.EncodeOptions{})
			if want := naiveEncode(tok, s); !slices.Equal(got, want) {
				t.Fatalf("trial %d, %q: got %v, want %v (vocabulary %v)", trial, s, got, want, ps)
			}
		}
	}
}
