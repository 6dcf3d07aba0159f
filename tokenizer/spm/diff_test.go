package spm

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// spmDiffFixture is the output of testdata/gen_spm_diff.mjs: real
// SentencePiece (C++ compiled to wasm, @agnai/sentencepiece-js 1.1.1) with
// Llama 2's tokenizer.model on seeded generated inputs.
type spmDiffFixture struct {
	Tool    string     `json:"tool"`
	Seed    int        `json:"seed"`
	Inputs  []string   `json:"inputs"`
	IDs     [][]int    `json:"ids"`
	Pieces  [][]string `json:"pieces"`
	Decoded []string   `json:"decoded"`
	Decode  []struct {
		IDs  []int  `json:"ids"`
		Text string `json:"text"`
	} `json:"decode"`
}

// loadSPMDiff reads the committed fixture, or $LLMPIPE_SPM_DIFF (a bigger
// run of the generator, gzipped or not).
func loadSPMDiff(t *testing.T) *spmDiffFixture {
	t.Helper()
	p := "testdata/spm_diff.json.gz"
	if env := os.Getenv("LLMPIPE_SPM_DIFF"); env != "" {
		p = env
	}
	var fx spmDiffFixture
	if err := json.NewDecoder(shared.OpenFixture(t, p)).Decode(&fx); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return &fx
}

func shortText(s string) string {
	if len(s) > 300 {
		return fmt.Sprintf("%q…(%d bytes)", s[:300], len(s))
	}
	return fmt.Sprintf("%q", s)
}

func shortIDs(v []int) string {
	if len(v) > 60 {
		return fmt.Sprintf("%v…(%d ids)", v[:60], len(v))
	}
	return fmt.Sprint(v)
}

// embindString is what @agnai/sentencepiece-js hands JavaScript for a
// std::string: embind decodes each NUL-separated segment on its own, and
// segments longer than 16 bytes go through TextDecoder("utf8"), which drops a
// leading U+FEFF. SentencePiece itself keeps those BOMs (and so do we); the
// test applies the binding's loss to our output before comparing.
func embindString(s string) string {
	segs := strings.Split(s, "\x00")
	for i, seg := range segs {
		if len(seg) > 16 && strings.HasPrefix(seg, "\uFEFF") {
			segs[i] = seg[len("\uFEFF"):]
		}
	}
	return strings.Join(segs, "\x00")
}

// TestSentencePieceDiff replays SentencePiece's EncodeAsIds, EncodeAsPieces
// and DecodeIds on generated inputs, and DecodeIds of id sequences holding
// <unk>, <s>, </s> and byte pieces that form invalid UTF-8. SentencePiece
// drops control pieces when decoding, which DecodeOptions.SkipSpecial asks
// for.
func TestSentencePieceDiff(t *testing.T) {
	tok := llama2(t)
	fx := loadSPMDiff(t)
	if len(fx.Inputs) == 0 || len(fx.IDs) != len(fx.Inputs) || len(fx.Pieces) != len(fx.Inputs) || len(fx.Decoded) != len(fx.Inputs) {
		t.Fatalf("fixture has %d inputs, %d ids, %d pieces, %d decoded", len(fx.Inputs), len(fx.IDs), len(fx.Pieces), len(fx.Decoded))
	}
	bad := 0
	fail := func(format string, args ...any) {
		bad++
		if bad <= 25 {
			t.Errorf(format, args...)
		}
	}
	skip := tokenizer.DecodeOptions{SkipSpecial: true}
	for i, s := range fx.Inputs {
		ids, err := tok.Encode(s, tokenizer.EncodeOptions{})
		if err != nil || !slices.Equal(ids, fx.IDs[i]) {
			fail("EncodeAsIds(%s) = %v, %v\n want %v", shortText(s), shortIDs(ids), err, shortIDs(fx.IDs[i]))
		}
		ps, err := tok.Pieces(s)
		for j := range ps {
			ps[j] = embindString(ps[j])
		}
		if err != nil || !slices.Equal(ps, fx.Pieces[i]) {
			fail("EncodeAsPieces(%s) = %q, %v\n want %q", shortText(s), ps, err, fx.Pieces[i])
		}
		if got, err := tok.Decode(fx.IDs[i], skip); err != nil || embindString(got) != fx.Decoded[i] {
			fail("DecodeIds(EncodeAsIds(%s)) = %s, %v\n want %s", shortText(s), shortText(got), err, shortText(fx.Decoded[i]))
		}
	}
	for _, d := range fx.Decode {
		if got, err := tok.Decode(d.IDs, skip); err != nil || embindString(got) != d.Text {
			fail("DecodeIds(%v) = %q, %v; want %q", d.IDs, got, err, d.Text)
		}
	}
	if bad > 0 {
		t.Errorf("%d differences from %s (seed %d, %d inputs)", bad, fx.Tool, fx.Seed, len(fx.Inputs))
	}
}

// TestDecodeSpecialAndInvalidBytes pins what SentencePiece's DecodeIds
// printed for Llama 2's model (@agnai/sentencepiece-js 1.1.1): every byte of
// an invalid UTF-8 run of byte pieces is its own U+FFFD (not one per maximal
// subpart, as tiktoken and Python do), <unk> reads " ⁇ ", <s> and </s> read as
// nothing, and a lone ▁ first is dropped.
func TestDecodeSpecialAndInvalidBytes(t *testing.T) {
	tok := llama2(t)
	b := func(bs ...int) []int {
		for i := range bs {
			bs[i] += 3
		}
		return bs
	}
	cases := []struct {
		ids  []int
		want string
	}{
		{b(0xE2, 0x82), "\uFFFD\uFFFD"},
		{b(0xF0, 0x9F, 0x98), "\uFFFD\uFFFD\uFFFD"},
		{b(0xED, 0xA0, 0x80), "\uFFFD\uFFFD\uFFFD"},
		{b(0xC0, 0x80), "\uFFFD\uFFFD"},
		{b(0xF4, 0x90, 0x80, 0x80), "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{[]int{0}, " ⁇ "},
		{[]int{0, 0}, " ⁇  ⁇ "},
		{[]int{1, 2}, ""},
		{[]int{29871}, ""},
		{[]int{29871, 0}, " ⁇ "},
		{[]int{0, 29871, 1017}, " ⁇  ty"},
		{[]int{1, 1017}, "ty"},
		{[]int{1017, 1, 1017}, "tyty"},
		{append(b(0x20), 1017), " ty"},
		{[]int{1017, 0, 1017}, "ty ⁇ ty"},
	}
	for _, c := range cases {
		if got, err := tok.Decode(c.ids, tokenizer.DecodeOptions{SkipSpecial: true}); err != nil || got != c.want {
			t.Errorf("Decode(%v) = %q, %v; want %q", c.ids, got, err, c.want)
		}
	}
}
