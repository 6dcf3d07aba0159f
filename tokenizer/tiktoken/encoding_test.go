package tiktoken

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
)

func TestToyEncode(t *testing.T) {
	e := toyEncoding(t)
	// Expected ids worked out by hand from toyMerges (single bytes have
	// rank = byte value; merges start at 256).
	tests := []struct {
		name string
		text string
		want []int
	}{
		{"empty", "", nil},
		{"whole tokens", "hello world", []int{259, 264}},
		{"merge order", "hel", []int{256, 'l'}},
		{"leftmost on ties", "aaa", []int{265, 'a'}},
		{"merged twice", "aaaaa", []int{266, 'a'}},
		{"lower rank first", "aba", []int{269}},
		{"abab", "abab", []int{267, 267}},
		{"spaces", "     x", []int{271, ' ', 'x'}},
		{"special is text", "<|endoftext|>", []int{'<', '|', 'e', 'n', 'd', 'o', 'f', 't', 'e', 'x', 't', '|', '>'}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.EncodeOrdinary(tc.text)
			if !slices.Equal(got, tc.want) {
				t.Errorf("EncodeOrdinary(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestEncodeSpecial(t *testing.T) {
	e := toyEncoding(t)
	eot, fim := 256+len(toyMerges), 257+len(toyMerges)
	text := "he<|endoftext|>ll<|fim_prefix|>"
	ord := e.EncodeOrdinary(text)
	tests := []struct {
		name                string
		allowed, disallowed SpecialSet
		want                []int
		errAt               int // byte offset named in the error; -1: no error
		errTok              string
	}{
		{"tiktoken defaults", NoSpecial, AllSpecial, nil, 2, EndOfText},
		{"all allowed", AllSpecial, AllSpecial, []int{256, eot, 257, fim}, -1, ""},
		{"all allowed, nothing disallowed", AllSpecial, NoSpecial, []int{256, eot, 257, fim}, -1, ""},
		{"one allowed, rest disallowed", SpecialSetOf(EndOfText), AllSpecial, nil, 17, FIMPrefix},
		{"one allowed, rest as text", SpecialSetOf(FIMPrefix), NoSpecial,
			append(slices.Clone(e.EncodeOrdinary("he<|endoftext|>ll")), fim), -1, ""},
		{"nothing special", NoSpecial, NoSpecial, ord, -1, ""},
		{"explicit disallowed", NoSpecial, SpecialSetOf(FIMPrefix), nil, 17, FIMPrefix},
		{"disallowed wins over allowed", AllSpecial, SpecialSetOf(EndOfText), nil, 2, EndOfText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.EncodeSpecial(text, tc.allowed, tc.disallowed)
			if tc.errAt >= 0 {
				if !errors.Is(err, tokenizer.ErrDisallowedSpecial) {
					t.Fatalf("error %v, want ErrDisallowedSpecial", err)
				}
				for _, want := range []string{tc.errTok, "at byte " + strconv.Itoa(tc.errAt)} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not mention %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInterface(t *testing.T) {
	e := toyEncoding(t)
	eot := 256 + len(toyMerges)
	s := e.Specials()
	if s.EOS != eot || !slices.Equal(s.EOG, []int{eot}) || s.BOS != -1 || s.PAD != -1 {
		t.Errorf("Specials = %+v", s)
	}
	if len(s.Tokens) != 2 || s.Tokens[0].Text != EndOfText || !s.Tokens[0].Control {
		t.Errorf("Specials.Tokens = %+v", s.Tokens)
	}
	if got := e.VocabSize(); got != eot+2 {
		t.Errorf("VocabSize %d, want %d", got, eot+2)
	}
	// AddSpecial adds nothing; ParseSpecial parses.
	ids, err := e.Encode("hello<|endoftext|>", tokenizer.EncodeOptions{AddSpecial: true})
	if err != nil || !slices.Equal(ids, e.EncodeOrdinary("hello<|endoftext|>")) {
		t.Errorf("Encode(AddSpecial) = %v, %v", ids, err)
	}
	ids, err = e.Encode("hello<|endoftext|>", tokenizer.EncodeOptions{ParseSpecial: true})
	if err != nil || !slices.Equal(ids, []int{259, eot}) {
		t.Errorf("Encode(ParseSpecial) = %v, %v", ids, err)
	}
	txt, err := e.Decode([]int{259, eot, 264}, tokenizer.DecodeOptions{SkipSpecial: true})
	if err != nil || txt != "hello world" {
		t.Errorf("Decode(SkipSpecial) = %q, %v", txt, err)
	}
	txt, err = e.Decode([]int{259, eot}, tokenizer.DecodeOptions{})
	if err != nil || txt != "hello<|endoftext|>" {
		t.Errorf("Decode = %q, %v", txt, err)
	}
	for _, bad := range []int{-1, eot + 2, 1 << 40} {
		if _, err := e.Decode([]int{259, bad}, tokenizer.DecodeOptions{}); !errors.Is(err, tokenizer.ErrUnknownID) {
			t.Errorf("Decode(%d): error %v, want ErrUnknownID", bad, err)
		}
	}
}

func TestDecodeReplacement(t *testing.T) {
	e := toyEncoding(t)
	// U+FFFD per maximal ill-formed subsequence, as Python's
	// errors="replace" and TextDecoder do.
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"valid", []byte("héllo"), "héllo"},
		{"lone continuation", []byte{'a', 0x80, 'b'}, "a\uFFFDb"},
		{"two bad bytes", []byte{0xFF, 0xFE}, "\uFFFD\uFFFD"},
		{"truncated 3-byte", []byte{0xE2, 0x82, 'x'}, "\uFFFDx"},
		{"truncated 4-byte at end", []byte{'x', 0xF0, 0x9F, 0x98}, "x\uFFFD"},
		{"surrogate", []byte{0xED, 0xA0, 0x80}, "\uFFFD\uFFFD\uFFFD"},
		{"overlong", []byte{0xC0, 0xAF}, "\uFFFD\uFFFD"},
		{"E0 bad second", []byte{0xE0, 0x80, 0x80}, "\uFFFD\uFFFD\uFFFD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids := make([]int, len(tc.in))
			for i, b := range tc.in {
				ids[i] = int(b)
			}
			got, err := e.Decode(ids, tokenizer.DecodeOptions{})
			if err != nil || got != tc.want {
				t.Errorf("Decode = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestEncodeOffsets(t *testing.T) {
	e := toyEncoding(t)
	for _, text := range []string{"hello world", "he<|endoftext|>llo  \xffé", "", strings.Repeat("ab", 200)} {
		for _, ps := range []bool{false, true} {
			opts := tokenizer.EncodeOptions{ParseSpecial: ps}
			ids, offs, err := e.EncodeOffsets(text, opts)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := e.Encode(text, opts)
			if !slices.Equal(ids, want) || len(offs) != len(ids) {
				t.Fatalf("EncodeOffsets(%q) ids %v (%d offsets), Encode %v", text, ids, len(offs), want)
			}
			pos := 0
			for i, o := range offs {
				b, _ := e.DecodeBytes(ids[i : i+1])
				if o.Start != pos || text[o.Start:o.End] != string(b) {
					t.Fatalf("%q: offset %d = %+v (pos %d) covers %q, token is %q", text, i, o, pos, text[o.Start:o.End], b)
				}
				pos = o.End
			}
			if pos != len(text) {
				t.Fatalf("%q: offsets end at %d of %d", text, pos, len(text))
			}
		}
	}
}

func TestNewErrors(t *testing.T) {
	full := toyRankFile()
	noZero := strings.Replace(string(full), "AA== 0\n", "", 1)
	tests := []struct {
		name string
		spec Spec
		data string
		want string
	}{
		{"missing byte", toySpec(), noZero, "no token for the single byte 0x00"},
		{"special collides", Spec{Name: "x", Pattern: PatternR50k, Specials: map[string]int{EndOfText: 5}}, string(full), "already uses"},
		{"special shares id", Spec{Name: "x", Pattern: PatternR50k, Specials: map[string]int{"<a>": 500, "<b>": 500}}, string(full), "share id 500"},
		{"empty special", Spec{Name: "x", Pattern: PatternR50k, Specials: map[string]int{"": 500}}, string(full), "empty text"},
		{"n_vocab", Spec{Name: "x", Pattern: PatternR50k, NVocab: 10}, string(full), "want n_vocab 10"},
		{"bad pattern", Spec{Name: "x", Pattern: `(`}, string(full), "split pattern"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewFromBytes(tc.spec, "t", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// naiveMerge is byte_pair_merge written as plainly as possible: the
// reference for the stack and heap versions.
func naiveMerge(r *Ranks, piece string) []int {
	parts := make([]string, len(piece))
	for i := range piece {
		parts[i] = piece[i : i+1]
	}
	for {
		best, at := noRank, -1
		for i := 0; i+1 < len(parts); i++ {
			if rk := r.lookup(parts[i] + parts[i+1]); rk < best {
				best, at = rk, i
			}
		}
		if at < 0 {
			break
		}
		parts = append(parts[:at+1], parts[at+2:]...)
		parts[at] = string(r.arena[r.spans[best].off:r.spans[best].end])
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = int(r.lookup(p))
	}
	return ids
}

// TestMergeVariants checks the stack and heap merge loops against naiveMerge
// on random pieces over a small alphabet (many merges, many ties).
func TestMergeVariants(t *testing.T) {
	e := toyEncoding(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 2; n < 300; n += 1 + n/8 {
		for k := 0; k < 20; k++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = "ab helowrd"[rng.IntN(10)]
			}
			piece := string(b)
			want := naiveMerge(e.ranks, piece)
			if n <= smallPiece {
				if got := e.ranks.mergeSmall(nil, piece, nil, 0, nil); !slices.Equal(got, want) {
					t.Fatalf("mergeSmall(%q) = %v, want %v", piece, got, want)
				}
			}
			if got := e.ranks.mergeLarge(nil, piece, nil, 0, nil); !slices.Equal(got, want) {
				t.Fatalf("mergeLarge(%q) = %v, want %v", piece, got, want)
			}
		}
	}
}

// FuzzRoundTrip: decode(encode(s)) == s for valid UTF-8, the bytes round
// trip for any input, and nothing panics.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"", "hello world", "  \n\r\n x", "<|endoftext|>a", "ünï 😀 中文", "\xff\xfe", "aaaaaaaaaaaaaaaaaa", "I'M don't 123456"} {
		f.Add(s)
	}
	e := toyEncoding(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := e.EncodeOrdinary(s)
		b, err := e.DecodeBytes(ids)
		if err != nil || string(b) != s {
			t.Fatalf("DecodeBytes(EncodeOrdinary(%q)) = %q, %v", s, b, err)
		}
		if utf8.ValidString(s) {
			got, err := e.Decode(ids, tokenizer.DecodeOptions{})
			if err != nil || got != s {
				t.Fatalf("Decode(EncodeOrdinary(%q)) = %q, %v", s, got, err)
			}
		}
		ids, err = e.Encode(s, tokenizer.EncodeOptions{ParseSpecial: true})
		if err != nil {
			t.Fatal(err)
		}
		if b, err := e.DecodeBytes(ids); err != nil || string(b) != s {
			t.Fatalf("DecodeBytes(Encode(%q, ParseSpecial)) = %q, %v", s, b, err)
		}
		_, _ = e.EncodeSpecial(s, NoSpecial, AllSpecial)
	})
}

// FuzzRoundTripCl100k is FuzzRoundTrip with the real cl100k_base vocabulary
// (skipped without the shared data): long and unusual pieces exercise the
// heap merge and the piece cache against a full rank table.
func FuzzRoundTripCl100k(f *testing.F) {
	for _, s := range []string{"hello world", strings.Repeat("ab", 70), "<|endoftext|><|fim_prefix|>", "😀👍🏽👨\u200d👩", "\xed\xa0\x80 x", "   \t\n\n  a"} {
		f.Add(s)
	}
	e := sharedEncoding(f, "cl100k_base")
	f.Fuzz(func(t *testing.T, s string) {
		ids := e.EncodeOrdinary(s)
		if b, err := e.DecodeBytes(ids); err != nil || string(b) != s {
			t.Fatalf("DecodeBytes(EncodeOrdinary(%q)) = %q, %v", s, b, err)
		}
		ids, offs, err := e.EncodeOffsets(s, tokenizer.EncodeOptions{ParseSpecial: true})
		if err != nil || len(offs) != len(ids) {
			t.Fatalf("EncodeOffsets(%q): %d ids, %d offsets, %v", s, len(ids), len(offs), err)
		}
		if b, err := e.DecodeBytes(ids); err != nil || string(b) != s {
			t.Fatalf("DecodeBytes(EncodeOffsets(%q)) = %q, %v", s, b, err)
		}
	})
}
