package unigram

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

var pegasus struct {
	once  sync.Once
	m     *Model
	added map[string]int
	err   error
}

// loadPegasus builds the Unigram model of the pegasus tokenizer.json once
// per test binary (a test-only reader of model.vocab and model.unk_id).
func loadPegasus(t testing.TB) (*Model, map[string]int) {
	t.Helper()
	path := shared.Path(t, "tokenizers/hf/pegasus/tokenizer.json")
	pegasus.once.Do(func() {
		b, err := os.ReadFile(path)
		if err != nil {
			pegasus.err = err
			return
		}
		var tj struct {
			AddedTokens []struct {
				ID      int    `json:"id"`
				Content string `json:"content"`
			} `json:"added_tokens"`
			Model struct {
				Type  string              `json:"type"`
				UnkID int                 `json:"unk_id"`
				Vocab [][]json.RawMessage `json:"vocab"`
			} `json:"model"`
		}
		if err := json.Unmarshal(b, &tj); err != nil {
			pegasus.err = err
			return
		}
		pieces := make([]Piece, len(tj.Model.Vocab))
		for i, e := range tj.Model.Vocab {
			if len(e) != 2 {
				pegasus.err = fmt.Errorf("model.vocab[%d]: %d fields", i, len(e))
				return
			}
			if err := json.Unmarshal(e[0], &pieces[i].Text); err != nil {
				pegasus.err = fmt.Errorf("model.vocab[%d]: %v", i, err)
				return
			}
			if err := json.Unmarshal(e[1], &pieces[i].Score); err != nil {
				pegasus.err = fmt.Errorf("model.vocab[%d]: %v", i, err)
				return
			}
		}
		pegasus.added = map[string]int{}
		for _, a := range tj.AddedTokens {
			pegasus.added[a.Content] = a.ID
		}
		pegasus.m, pegasus.err = New(pieces, Options{UnkID: tj.Model.UnkID, FuseUnk: true})
	})
	if pegasus.err != nil {
		t.Fatalf("pegasus tokenizer.json: %v", pegasus.err)
	}
	return pegasus.m, pegasus.added
}

// words rebuilds the pre-tokenized words of one reference string from HF's
// reference tokens: after WhitespaceSplit and Metaspace (prepend always)
// every word starts with "▁" and no other "▁" occurs; added tokens (matched
// before normalization) stand alone.
func words(tokens []string, added map[string]int) []string {
	var out []string
	for _, tok := range tokens {
		switch {
		case added[tok] != 0 || tok == "<pad>":
			out = append(out, tok)
		case strings.HasPrefix(tok, "▁") || len(out) == 0 || added[out[len(out)-1]] != 0:
			out = append(out, tok)
		default:
			out[len(out)-1] += tok
		}
	}
	return out
}

func TestPegasusVectors(t *testing.T) {
	m, added := loadPegasus(t)
	v := shared.LoadTokenizerVectors(t)
	set := v.Set(t, "hf:pegasus")
	for i := range v.Strings {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var got []int
			var offs []tokenizer.Offset
			for _, w := range words(set.Tokens[i], added) {
				if id, ok := added[w]; ok {
					got = append(got, id)
					continue
				}
				n := len(got)
				got, offs = m.EncodeOffsets(got, offs[:0], w, 0)
				// Offsets tile the word.
				at := 0
				for _, o := range offs {
					if o.Start != at || o.End <= o.Start {
						t.Errorf("word %q: offsets %v do not tile it", w, offs)
						break
					}
					at = o.End
				}
				if at != len(w) {
					t.Errorf("word %q: offsets %v end at %d", w, offs, at)
				}
				if plain := m.Encode(nil, w); fmt.Sprint(plain) != fmt.Sprint(got[n:]) {
					t.Errorf("word %q: Encode %v, EncodeOffsets %v", w, plain, got[n:])
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(set.IDs[i]) {
				t.Errorf("string %d %+q:\n got %v\nwant %v", i, v.Strings[i], got, set.IDs[i])
			}
		})
	}
}

func pieces(spec ...any) []Piece {
	var ps []Piece
	for i := 0; i < len(spec); i += 2 {
		ps = append(ps, Piece{Text: spec[i].(string), Score: spec[i+1].(float64)})
	}
	return ps
}

func TestHandBuilt(t *testing.T) {
	// HF tokenizers' own documentation example (models/unigram/model.rs).
	hfDoc := pieces("<unk>", 0.0, "a", 0.0, "b", 0.0, "c", 0.0, "d", 0.0, "cd", 1.0, "ab", 2.0, "abc", 5.0, "abcd", 10.0)
	ties := pieces("<unk>", 0.0, "a", -1.0, "b", -1.0, "ab", -2.0, "bc", -2.0, "c", -1.0)
	unk := pieces("<unk>", 0.0, "a", -1.0, "xa", -25.0, "<0x78>", -5.0, "<0xC3>", -5.0, "<0xA9>", -5.0)
	floaty := pieces("<unk>", 0.0, "a", 0.1, "b", 0.2, "ab", 0.3)
	cases := []struct {
		name   string
		pieces []Piece
		opts   Options
		in     string
		want   []int
	}{
		{"HF doc example", hfDoc, Options{FuseUnk: true}, "abcdacdxx", []int{8, 1, 5, 0}},
		{"HF doc example unfused", hfDoc, Options{}, "abcdacdxx", []int{8, 1, 5, 0, 0}},
		{"empty input", hfDoc, Options{}, "", nil},
		// a+b = -2 = ab: the path whose last piece starts earliest wins.
		{"tie prefers longer last piece", ties, Options{}, "ab", []int{3}},
		// a+bc = -3 = ab+c: at the end, bc (from 1) is seen before c (from 2).
		{"tie at the end", ties, Options{}, "abc", []int{1, 4}},
		// min score is -25 (over every piece, HF), so unk = -35 and x+a = -36 < xa = -25.
		{"piece beats unknown", unk, Options{}, "xa", []int{2}},
		{"unknowns fused", unk, Options{FuseUnk: true}, "zzza", []int{0, 1}},
		{"unknowns unfused", unk, Options{}, "zzza", []int{0, 0, 0, 1}},
		{"byte fallback", unk, Options{ByteFallback: true}, "x", []int{3}},
		{"byte fallback two bytes", unk, Options{ByteFallback: true}, "é", []int{4, 5}},
		{"byte fallback fused run", unk, Options{ByteFallback: true, FuseUnk: true}, "éx", []int{4, 5, 3}},
		{"byte fallback missing byte is unk", unk, Options{ByteFallback: true, FuseUnk: true}, "éz", []int{0}},
		// "<unk>" is a vocabulary entry (score 0) in HF, so the text matches it,
		// and it fuses with the unknown € next to it.
		{"literal <unk> text", hfDoc, Options{FuseUnk: true}, "€<unk>", []int{0}},
		{"literal <unk> text alone", hfDoc, Options{FuseUnk: true}, "<unk>", []int{0}},
		// float64: 0.1+0.2 = 0.30000000000000004 > 0.3.
		{"float64 sums", floaty, Options{}, "ab", []int{1, 2}},
		// float32 (SentencePiece): 0.1f+0.2f = 0.30000000447 < 0.3f = 0.30000001192.
		{"float32 sums", floaty, Options{Types: []Type{Unknown, Normal, Normal, Normal}}, "ab", []int{3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.pieces, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := m.Encode(nil, tc.in)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Encode(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestSentencePieceTypes(t *testing.T) {
	ps := pieces("<unk>", 0.0, "<s>", 0.0, "</s>", 0.0, "a", -2.0, "b", -2.0, "<b>", -50.0, "ab", -100.0, "<0x3C>", 0.0, "c", -3.0, "cc", -1.0)
	types := []Type{Unknown, Control, Control, Normal, Normal, UserDefined, Unused, Byte, Normal, Unused}
	m, err := New(ps, Options{Types: types, FuseUnk: true})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   string
		want []int
	}{
		// Control pieces are not candidates: "<s>" is unknown text.
		{"control text is unknown", "<s>", []int{0}},
		// User-defined: 3 bytes * max_score (-2) - 0.1 = -6.1 beats unk.
		{"user defined piece", "<b>", []int{5}},
		// "ab" is unused: a+b.
		{"unused never produced", "ab", []int{3, 4}},
		{"unused multi-char piece", "cc", []int{8, 8}},
		{"byte piece not a candidate", "<", []int{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Encode(nil, tc.in); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Encode(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	bf, err := New(ps, Options{Types: types, FuseUnk: true, ByteFallback: true})
	if err != nil {
		t.Fatal(err)
	}
	ids, offs := bf.EncodeOffsets(nil, nil, "<é", 10)
	// '<' has a byte piece (7); é's bytes have none: unk each, SentencePiece
	// style offsets (only a character's last byte covers it).
	wantIDs := []int{7, 0, 0}
	wantOffs := []tokenizer.Offset{{Start: 10, End: 11}, {Start: 11, End: 11}, {Start: 11, End: 13}}
	if fmt.Sprint(ids) != fmt.Sprint(wantIDs) || fmt.Sprint(offs) != fmt.Sprint(wantOffs) {
		t.Errorf("byte fallback = %v %v, want %v %v", ids, offs, wantIDs, wantOffs)
	}
}

func TestOffsets(t *testing.T) {
	m, err := New(pieces("<unk>", 0.0, "▁ab", -1.0, "c", -2.0, "<0xE2>", -1.0, "<0x82>", -1.0, "<0xAC>", -1.0), Options{FuseUnk: true, ByteFallback: true})
	if err != nil {
		t.Fatal(err)
	}
	ids, offs := m.EncodeOffsets([]int{99}, []tokenizer.Offset{{}}, "▁abc€", 5)
	wantIDs := []int{99, 1, 2, 3, 4, 5}
	wantOffs := []tokenizer.Offset{{}, {Start: 5, End: 10}, {Start: 10, End: 11}, {Start: 11, End: 14}, {Start: 11, End: 14}, {Start: 11, End: 14}}
	if fmt.Sprint(ids) != fmt.Sprint(wantIDs) || fmt.Sprint(offs) != fmt.Sprint(wantOffs) {
		t.Errorf("got %v %v, want %v %v", ids, offs, wantIDs, wantOffs)
	}
}

func TestNewErrors(t *testing.T) {
	two := pieces("<unk>", 0.0, "a", -1.0)
	cases := []struct {
		name   string
		pieces []Piece
		opts   Options
		want   string
	}{
		{"empty vocabulary", nil, Options{}, "empty vocabulary"},
		{"unk out of range", two, Options{UnkID: 2}, "unk id 2"},
		{"negative unk", two, Options{UnkID: -1}, "unk id -1"},
		{"types length", two, Options{Types: []Type{Unknown}}, "1 types for 2 pieces"},
		{"bad type", two, Options{Types: []Type{Unknown, 9}}, "unknown type 9"},
		{"unk not Unknown", two, Options{Types: []Type{Normal, Normal}}, "not Unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.pieces, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestToken(t *testing.T) {
	m, err := New(pieces("<unk>", 0.0, "a", -1.0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := m.Token(1); !ok || s != "a" {
		t.Errorf("Token(1) = %q, %v", s, ok)
	}
	for _, id := range []int{-1, 2} {
		if _, ok := m.Token(id); ok {
			t.Errorf("Token(%d) ok", id)
		}
	}
}

func FuzzEncode(f *testing.F) {
	f.Add("abcdacdxx", true, true)
	f.Add("é€<unk>\xff\xe2\x82", false, true)
	f.Add("", true, false)
	ms := map[[2]bool]*Model{}
	for _, fuse := range []bool{false, true} {
		for _, bf := range []bool{false, true} {
			m, err := New(pieces("<unk>", 0.0, "a", -1.0, "ab", -1.5, "b", -2.0, "<0xC3>", -3.0, "<0xA9>", -3.0, "\xe2", -1.0, "é€", -4.0, "", 0.0),
				Options{FuseUnk: fuse, ByteFallback: bf})
			if err != nil {
				f.Fatal(err)
			}
			ms[[2]bool{fuse, bf}] = m
		}
	}
	f.Fuzz(func(t *testing.T, s string, fuse, bf bool) {
		m := ms[[2]bool{fuse, bf}]
		ids, offs := m.EncodeOffsets(nil, nil, s, 0)
		if len(ids) != len(offs) {
			t.Fatalf("%d ids, %d offsets", len(ids), len(offs))
		}
		for i, id := range ids {
			if _, ok := m.Token(id); !ok {
				t.Fatalf("id %d out of range", id)
			}
			if o := offs[i]; o.Start < 0 || o.End > len(s) || o.Start > o.End {
				t.Fatalf("offset %v outside %d bytes", o, len(s))
			}
		}
		if s != "" && len(ids) == 0 {
			t.Fatalf("no ids for %q", s)
		}
	})
}

func ExampleModel_Encode() {
	m, err := New([]Piece{
		{"<unk>", 0}, {"▁", -2}, {"▁the", -3}, {"▁th", -4}, {"e", -2}, {"re", -5}, {"▁there", -6},
	}, Options{UnkID: 0, FuseUnk: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range []string{"▁there", "▁thee", "▁xyz"} {
		ids := m.Encode(nil, w)
		var toks []string
		for _, id := range ids {
			tok, _ := m.Token(id)
			toks = append(toks, tok)
		}
		fmt.Println(w, ids, toks)
	}
	// Output:
	// ▁there [6] [▁there]
	// ▁thee [2 4] [▁the e]
	// ▁xyz [1 0] [▁ <unk>]
}
