package tiktoken

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// diffFixture is the output of testdata/gen_tiktoken_diff.mjs: npm tiktoken
// 1.0.22 (WASM build of OpenAI's Rust crate) on seeded generated inputs.
type diffFixture struct {
	Tool      string                     `json:"tool"`
	Seed      int                        `json:"seed"`
	Inputs    []string                   `json:"inputs"`
	Encodings map[string]diffEncodingRef `json:"encodings"`
}

type diffEncodingRef struct {
	Ordinary          [][]int `json:"ordinary"`
	All               [][]int `json:"all"`
	ErrDefault        []bool  `json:"errDefault"`
	ErrEOTAllowed     []bool  `json:"errEOTAllowed"`
	ErrNoneDisallowed []bool  `json:"errNoneDisallowed"`
	OneAllowed        [][]int `json:"oneAllowed"`
	Decode            []struct {
		IDs  []int  `json:"ids"`
		Text string `json:"text"`
	} `json:"decode"`
}

// diffFixturePath is the committed fixture, or $LLMPIPE_TIKTOKEN_DIFF (a
// bigger run of the generator, gzipped or not).
func loadDiffFixture(t *testing.T) *diffFixture {
	t.Helper()
	p := "testdata/tiktoken_diff.json.gz"
	if env := os.Getenv("LLMPIPE_TIKTOKEN_DIFF"); env != "" {
		p = env
	}
	var fx diffFixture
	if err := json.NewDecoder(shared.OpenFixture(t, p)).Decode(&fx); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return &fx
}

// ids prints at most 60 ids.
func ids(v []int) string {
	if len(v) > 60 {
		return fmt.Sprintf("%v…(%d ids)", v[:60], len(v))
	}
	return fmt.Sprint(v)
}

func short(s string) string {
	if len(s) > 300 {
		return fmt.Sprintf("%q…(%d bytes)", s[:300], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// TestTiktokenDiff replays tiktoken's outputs on generated inputs:
// encode_ordinary, encode(allowed="all"), the disallowed-special errors of
// encode() and encode(allowed={<|endoftext|>}, disallowed="all"),
// encode(allowed={}, disallowed={}), and decode (errors="replace") of id
// sequences that split UTF-8 characters. It also checks that pretok's
// hand-written scanner splits every input as its regexp2 engine does.
func TestTiktokenDiff(t *testing.T) {
	fx := loadDiffFixture(t)
	for _, name := range referenceEncodings {
		ref, ok := fx.Encodings[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			e := sharedEncoding(t, name)
			// The scanner with Go's Unicode tables must split as regexp2
			// (which has the same tables) does; the encoding's own scanner
			// (Unicode 16) is checked through the ids.
			re, err := pretok.CompileRegexp(e.Pattern())
			if err != nil {
				t.Fatal(err)
			}
			scan := pretok.Known(e.Pattern())
			eotOnly := SpecialSetOf(EndOfText)
			last := SpecialSetOf(e.specials[len(e.specials)-1].Text) // the largest id, as the generator picks it
			bad := 0
			fail := func(format string, args ...any) {
				bad++
				if bad <= 20 {
					t.Errorf(format, args...)
				}
			}
			for i, s := range fx.Inputs {
				if got := e.EncodeOrdinary(s); !slices.Equal(got, ref.Ordinary[i]) {
					fail("encode_ordinary(%s) = %v, want %v", short(s), ids(got), ids(ref.Ordinary[i]))
				}
				if got, _ := e.Encode(s, tokenizer.EncodeOptions{ParseSpecial: true}); !slices.Equal(got, ref.All[i]) {
					fail("encode(%s, all) = %v, want %v", short(s), ids(got), ids(ref.All[i]))
				}
				if _, err := e.EncodeSpecial(s, NoSpecial, AllSpecial); (err != nil) != ref.ErrDefault[i] {
					fail("encode(%s): error %v, want error %v", short(s), err, ref.ErrDefault[i])
				}
				if _, err := e.EncodeSpecial(s, eotOnly, AllSpecial); (err != nil) != ref.ErrEOTAllowed[i] {
					fail("encode(%s, {eot}, all): error %v, want error %v", short(s), err, ref.ErrEOTAllowed[i])
				}
				if got, err := e.EncodeSpecial(s, NoSpecial, NoSpecial); err != nil || !slices.Equal(got, ref.Ordinary[i]) != ref.ErrNoneDisallowed[i] {
					fail("encode(%s, {}, {}) = %v, %v; differs from encode_ordinary: %v", short(s), ids(got), err, ref.ErrNoneDisallowed[i])
				}
				if got, err := e.EncodeSpecial(s, last, NoSpecial); err != nil || !slices.Equal(got, ref.OneAllowed[i]) {
					fail("encode(%s, %v, {}) = %v, %v; want %v", short(s), last.texts, ids(got), err, ids(ref.OneAllowed[i]))
				}
				fast := scan.FindAll(nil, s)
				if slow := re.FindAll(nil, s); !slices.Equal(fast, slow) {
					fail("pretok scanner %v != regexp2 %v on %s", fast, slow, short(s))
				}
			}
			for _, d := range ref.Decode {
				got, err := e.Decode(d.IDs, tokenizer.DecodeOptions{})
				if err != nil || got != d.Text {
					fail("decode(%v) = %q, %v; want %q", d.IDs, got, err, d.Text)
				}
			}
			if bad > 0 {
				t.Errorf("%d differences from %s (seed %d, %d inputs)", bad, fx.Tool, fx.Seed, len(fx.Inputs))
			}
		})
	}
}
