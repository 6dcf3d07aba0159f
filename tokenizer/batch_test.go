package tokenizer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Ids of the fake tokenizer's template tokens.
const (
	batchCLS = 300
	batchSEP = 301
)

// batchTok is a fake tokenizer: one id per byte (the byte's value), with a
// BERT-like template "[CLS] A [SEP]" / "[CLS] A [SEP] B [SEP]" (B and its
// [SEP] have type id 1). It implements Templater and, unless plain is set,
// OffsetEncoder.
type batchTok struct {
	fail string // Encode fails on this text
}

func (t batchTok) Encode(text string, opts EncodeOptions) ([]int, error) {
	ids, _, err := t.EncodeOffsets(text, opts)
	return ids, err
}

func (t batchTok) EncodeOffsets(text string, opts EncodeOptions) ([]int, []Offset, error) {
	if t.fail != "" && text == t.fail {
		return nil, nil, errors.New("cannot encode " + text)
	}
	var ids []int
	var offs []Offset
	for i := 0; i < len(text); i++ {
		ids = append(ids, int(text[i]))
		offs = append(offs, Offset{i, i + 1})
	}
	if opts.AddSpecial {
		ids, _, _ = t.ApplyTemplate(ids, nil)
		offs = append(append([]Offset{{}}, offs...), Offset{})
	}
	return ids, offs, nil
}

func (batchTok) ApplyTemplate(a, b []int) (ids, typeIDs []int, added []bool) {
	add := func(id, typ int, tmpl bool) {
		ids, typeIDs, added = append(ids, id), append(typeIDs, typ), append(added, tmpl)
	}
	add(batchCLS, 0, true)
	for _, id := range a {
		add(id, 0, false)
	}
	add(batchSEP, 0, true)
	if b != nil {
		for _, id := range b {
			add(id, 1, false)
		}
		add(batchSEP, 1, true)
	}
	return ids, typeIDs, added
}

func (batchTok) NumAdded(pair bool) int {
	if pair {
		return 3
	}
	return 2
}

func (batchTok) Decode(ids []int, opts DecodeOptions) (string, error) { return "", nil }
func (batchTok) VocabSize() int                                       { return 302 }
func (batchTok) Specials() Specials                                   { return NoSpecials() }

// batchPlainTok is batchTok without Templater and OffsetEncoder: its Encode adds
// [CLS] … [SEP] itself when asked.
type batchPlainTok struct{ t batchTok }

func (p batchPlainTok) Encode(text string, opts EncodeOptions) ([]int, error) {
	return p.t.Encode(text, opts)
}
func (p batchPlainTok) Decode(ids []int, opts DecodeOptions) (string, error) { return "", nil }
func (p batchPlainTok) VocabSize() int                                       { return 302 }
func (p batchPlainTok) Specials() Specials                                   { return NoSpecials() }

// batchEnc builds an expected Encoding from a compact description: tokens are
// "[CLS]", "[SEP]", "[PAD]" or a one-byte string followed by its offset
// ("a0" is byte 'a' at offset 0); a token after "|" has type id 1.
func batchEnc(desc string, over ...Encoding) Encoding {
	e := Encoding{Overflowing: over}
	typ := 0
	for _, f := range strings.Fields(desc) {
		if f == "|" {
			typ = 1
			continue
		}
		switch f {
		case "[CLS]", "[SEP]":
			id := batchCLS
			if f == "[SEP]" {
				id = batchSEP
			}
			e.IDs = append(e.IDs, id)
			e.TypeIDs = append(e.TypeIDs, typ)
			e.AttentionMask = append(e.AttentionMask, 1)
			e.SpecialMask = append(e.SpecialMask, 1)
			e.Offsets = append(e.Offsets, Offset{})
		case "[PAD]":
			e.IDs = append(e.IDs, 0)
			e.TypeIDs = append(e.TypeIDs, 0)
			e.AttentionMask = append(e.AttentionMask, 0)
			e.SpecialMask = append(e.SpecialMask, 1)
			e.Offsets = append(e.Offsets, Offset{})
		default:
			var off int
			fmt.Sscanf(f[1:], "%d", &off)
			e.IDs = append(e.IDs, int(f[0]))
			e.TypeIDs = append(e.TypeIDs, typ)
			e.AttentionMask = append(e.AttentionMask, 1)
			e.SpecialMask = append(e.SpecialMask, 0)
			e.Offsets = append(e.Offsets, Offset{off, off + 1})
		}
	}
	return e
}

// formatEncoding prints an Encoding (and its overflowing pieces, nested in braces)
// for comparison and error messages.
func formatEncoding(e Encoding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ids=%v types=%v att=%v special=%v offs=%v", e.IDs, e.TypeIDs, e.AttentionMask, e.SpecialMask, e.Offsets)
	if len(e.Overflowing) > 0 {
		b.WriteString(" over{")
		for i, o := range e.Overflowing {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(formatEncoding(o))
		}
		b.WriteString("}")
	}
	return b.String()
}

func batchSingle(s string) Input  { return Input{Text: s} }
func batchPair(a, b string) Input { return Input{Text: a, Pair: b, HasPair: true} }

var batchTemplate = EncodeOptions{AddSpecial: true}

// The expectations below were worked out by hand from HF tokenizers'
// truncation and padding rules, and checked against HF tokenizers 0.22.2
// (a char-level BPE with the same template, encode_batch / encode).
var batchCases = []struct {
	name   string
	inputs []Input
	opts   BatchOptions
	want   []Encoding
}{
	{name: "single plain", inputs: []Input{batchSingle("abc")},
		want: []Encoding{batchEnc("a0 b1 c2")}},
	{name: "single template", inputs: []Input{batchSingle("abc")}, opts: BatchOptions{Encode: batchTemplate},
		want: []Encoding{batchEnc("[CLS] a0 b1 c2 [SEP]")}},
	{name: "pair template", inputs: []Input{batchPair("ab", "xyz")}, opts: BatchOptions{Encode: batchTemplate},
		want: []Encoding{batchEnc("[CLS] a0 b1 [SEP] | x0 y1 z2 [SEP]")}},
	{name: "pair without template", inputs: []Input{batchPair("ab", "xyz")},
		want: []Encoding{batchEnc("a0 b1 | x0 y1 z2")}},
	{name: "empty input", inputs: []Input{batchSingle(""), batchPair("", "")}, opts: BatchOptions{Encode: batchTemplate},
		want: []Encoding{batchEnc("[CLS] [SEP]"), batchEnc("[CLS] [SEP] | [SEP]")}},
	{name: "empty batch", inputs: nil, opts: BatchOptions{Padding: Padding{Strategy: PadLongest}}, want: []Encoding{}},
	{name: "truncate right", inputs: []Input{batchSingle("abcdef")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 5}},
		want: []Encoding{batchEnc("[CLS] a0 b1 c2 [SEP]", batchEnc("[CLS] d3 e4 f5 [SEP]"))}},
	{name: "truncate right stride", inputs: []Input{batchSingle("abcdefg")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 5, Stride: 1}},
		want: []Encoding{batchEnc("[CLS] a0 b1 c2 [SEP]", batchEnc("[CLS] c2 d3 e4 [SEP]"), batchEnc("[CLS] e4 f5 g6 [SEP]"))}},
	{name: "truncate left", inputs: []Input{batchSingle("abcdef")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 5, Side: SideLeft}},
		want: []Encoding{batchEnc("[CLS] d3 e4 f5 [SEP]", batchEnc("[CLS] a0 b1 c2 [SEP]"))}},
	{name: "truncate left stride", inputs: []Input{batchSingle("abcdefg")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 5, Stride: 1, Side: SideLeft}},
		want: []Encoding{batchEnc("[CLS] e4 f5 g6 [SEP]", batchEnc("[CLS] c2 d3 e4 [SEP]"), batchEnc("[CLS] a0 b1 c2 [SEP]"))}},
	{name: "truncate without template", inputs: []Input{batchSingle("abcde")},
		opts: BatchOptions{Truncation: Truncation{MaxLength: 2}},
		want: []Encoding{batchEnc("a0 b1", batchEnc("c2 d3"), batchEnc("e4"))}},
	{name: "pair fits exactly", inputs: []Input{batchPair("abc", "xy")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 8}},
		want: []Encoding{batchEnc("[CLS] a0 b1 c2 [SEP] | x0 y1 [SEP]")}},
	// 5 tokens for 2+5: the shorter keeps 2, the longer gets 3.
	{name: "longest first cuts the longer", inputs: []Input{batchPair("ab", "vwxyz")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 8}},
		want: []Encoding{batchEnc("[CLS] a0 b1 [SEP] | v0 w1 x2 [SEP]", batchEnc("[CLS] a0 b1 [SEP] | y3 z4 [SEP]"))}},
	{name: "longest first cuts the first when longer", inputs: []Input{batchPair("vwxyz", "ab")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 8}},
		want: []Encoding{batchEnc("[CLS] v0 w1 x2 [SEP] | a0 b1 [SEP]", batchEnc("[CLS] y3 z4 [SEP] | a0 b1 [SEP]"))}},
	// 4 tokens for 6+6: 2 each; both overflow, combined as HF's merge_with.
	{name: "longest first halves", inputs: []Input{batchPair("abcdef", "uvwxyz")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 7}},
		want: []Encoding{batchEnc("[CLS] a0 b1 [SEP] | u0 v1 [SEP]",
			batchEnc("[CLS] c2 d3 [SEP] | u0 v1 [SEP]", batchEnc("[CLS] c2 d3 [SEP] | w2 x3 [SEP]"), batchEnc("[CLS] c2 d3 [SEP] | y4 z5 [SEP]")),
			batchEnc("[CLS] c2 d3 [SEP] | w2 x3 [SEP]"),
			batchEnc("[CLS] c2 d3 [SEP] | y4 z5 [SEP]"),
			batchEnc("[CLS] e4 f5 [SEP] | u0 v1 [SEP]", batchEnc("[CLS] e4 f5 [SEP] | w2 x3 [SEP]"), batchEnc("[CLS] e4 f5 [SEP] | y4 z5 [SEP]")),
			batchEnc("[CLS] e4 f5 [SEP] | w2 x3 [SEP]"),
			batchEnc("[CLS] e4 f5 [SEP] | y4 z5 [SEP]"),
			batchEnc("[CLS] a0 b1 [SEP] | w2 x3 [SEP]", batchEnc("[CLS] c2 d3 [SEP] | w2 x3 [SEP]"), batchEnc("[CLS] e4 f5 [SEP] | w2 x3 [SEP]")),
			batchEnc("[CLS] a0 b1 [SEP] | y4 z5 [SEP]", batchEnc("[CLS] c2 d3 [SEP] | y4 z5 [SEP]"), batchEnc("[CLS] e4 f5 [SEP] | y4 z5 [SEP]")),
		)}},
	// 5 tokens for 6+6: 2 and 3 (the second gets the odd one).
	{name: "longest first odd", inputs: []Input{batchPair("abcdef", "uvwxyz")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 8}},
		want: []Encoding{batchEnc("[CLS] a0 b1 [SEP] | u0 v1 w2 [SEP]",
			batchEnc("[CLS] c2 d3 [SEP] | u0 v1 w2 [SEP]", batchEnc("[CLS] c2 d3 [SEP] | x3 y4 z5 [SEP]")),
			batchEnc("[CLS] c2 d3 [SEP] | x3 y4 z5 [SEP]"),
			batchEnc("[CLS] e4 f5 [SEP] | u0 v1 w2 [SEP]", batchEnc("[CLS] e4 f5 [SEP] | x3 y4 z5 [SEP]")),
			batchEnc("[CLS] e4 f5 [SEP] | x3 y4 z5 [SEP]"),
			batchEnc("[CLS] a0 b1 [SEP] | x3 y4 z5 [SEP]", batchEnc("[CLS] c2 d3 [SEP] | x3 y4 z5 [SEP]"), batchEnc("[CLS] e4 f5 [SEP] | x3 y4 z5 [SEP]")),
		)}},
	// 3 tokens for 1+5: the batchPair keeps 2, stride 1 → pieces advance by 1.
	{name: "pair longer than max with stride", inputs: []Input{batchPair("a", "bcdef")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 6, Stride: 1}},
		want: []Encoding{batchEnc("[CLS] a0 [SEP] | b0 c1 [SEP]",
			batchEnc("[CLS] a0 [SEP] | c1 d2 [SEP]"), batchEnc("[CLS] a0 [SEP] | d2 e3 [SEP]"), batchEnc("[CLS] a0 [SEP] | e3 f4 [SEP]"))}},
	{name: "only first", inputs: []Input{batchPair("abcdef", "xy")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 7, Strategy: OnlyFirst}},
		want: []Encoding{batchEnc("[CLS] a0 b1 [SEP] | x0 y1 [SEP]",
			batchEnc("[CLS] c2 d3 [SEP] | x0 y1 [SEP]"), batchEnc("[CLS] e4 f5 [SEP] | x0 y1 [SEP]"))}},
	{name: "only second with stride", inputs: []Input{batchPair("xy", "abcdef")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 7, Strategy: OnlySecond, Stride: 1}},
		want: []Encoding{batchEnc("[CLS] x0 y1 [SEP] | a0 b1 [SEP]",
			batchEnc("[CLS] x0 y1 [SEP] | b1 c2 [SEP]"), batchEnc("[CLS] x0 y1 [SEP] | c2 d3 [SEP]"),
			batchEnc("[CLS] x0 y1 [SEP] | d3 e4 [SEP]"), batchEnc("[CLS] x0 y1 [SEP] | e4 f5 [SEP]"))}},
	{name: "only second, batchSingle input that fits", inputs: []Input{batchSingle("ab")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 7, Strategy: OnlySecond}},
		want: []Encoding{batchEnc("[CLS] a0 b1 [SEP]")}},
	{name: "room for the template only", inputs: []Input{batchSingle("abc")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 2}},
		want: []Encoding{batchEnc("[CLS] [SEP]", batchEnc("[CLS] a0 b1 c2 [SEP]"))}},
	{name: "room for one token", inputs: []Input{batchSingle("abc")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 3}},
		want: []Encoding{batchEnc("[CLS] a0 [SEP]", batchEnc("[CLS] b1 [SEP]"), batchEnc("[CLS] c2 [SEP]"))}},
	{name: "pad longest right", inputs: []Input{batchSingle("ab"), batchSingle("abcd")},
		opts: BatchOptions{Encode: batchTemplate, Padding: Padding{Strategy: PadLongest}},
		want: []Encoding{batchEnc("[CLS] a0 b1 [SEP] [PAD] [PAD]"), batchEnc("[CLS] a0 b1 c2 d3 [SEP]")}},
	{name: "pad longest left", inputs: []Input{batchSingle("ab"), batchSingle("abcd")},
		opts: BatchOptions{Encode: batchTemplate, Padding: Padding{Strategy: PadLongest, Side: SideLeft}},
		want: []Encoding{batchEnc("[PAD] [PAD] [CLS] a0 b1 [SEP]"), batchEnc("[CLS] a0 b1 c2 d3 [SEP]")}},
	{name: "pad to a multiple", inputs: []Input{batchSingle("ab"), batchSingle("abcd")},
		opts: BatchOptions{Encode: batchTemplate, Padding: Padding{Strategy: PadLongest, MultipleOf: 4}},
		want: []Encoding{batchEnc("[CLS] a0 b1 [SEP] [PAD] [PAD] [PAD] [PAD]"), batchEnc("[CLS] a0 b1 c2 d3 [SEP] [PAD] [PAD]")}},
	{name: "multiple of an exact length", inputs: []Input{batchSingle("abcdef")},
		opts: BatchOptions{Encode: batchTemplate, Padding: Padding{Strategy: PadLongest, MultipleOf: 4}},
		want: []Encoding{batchEnc("[CLS] a0 b1 c2 d3 e4 f5 [SEP]")}},
	{name: "pad fixed, pad ids", inputs: []Input{batchPair("ab", "x")},
		opts: BatchOptions{Encode: batchTemplate, Padding: Padding{Strategy: PadMaxLength, Length: 8, PadID: 7, PadTypeID: 2}},
		want: []Encoding{{
			IDs: []int{batchCLS, 'a', 'b', batchSEP, 'x', batchSEP, 7, 7}, TypeIDs: []int{0, 0, 0, 0, 1, 1, 2, 2},
			AttentionMask: []int{1, 1, 1, 1, 1, 1, 0, 0}, SpecialMask: []int{1, 0, 0, 1, 0, 1, 1, 1},
			Offsets: []Offset{{}, {0, 1}, {1, 2}, {}, {0, 1}, {}, {}, {}}}}},
	{name: "fixed length shorter than the input", inputs: []Input{batchSingle("abcdef")},
		opts: BatchOptions{Padding: Padding{Strategy: PadMaxLength, Length: 3}},
		want: []Encoding{batchEnc("a0 b1 c2 d3 e4 f5")}},
	{name: "truncate and pad, overflow padded too", inputs: []Input{batchSingle("abcdefg"), batchSingle("ab")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 5, Stride: 1},
			Padding: Padding{Strategy: PadMaxLength, Length: 6, Side: SideLeft}},
		want: []Encoding{
			batchEnc("[PAD] [CLS] a0 b1 c2 [SEP]", batchEnc("[PAD] [CLS] c2 d3 e4 [SEP]"), batchEnc("[PAD] [CLS] e4 f5 g6 [SEP]")),
			batchEnc("[PAD] [PAD] [CLS] a0 b1 [SEP]")}},
	{name: "pad max length from truncation", inputs: []Input{batchSingle("a"), batchSingle("abcdef")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 4}, Padding: Padding{Strategy: PadMaxLength}},
		want: []Encoding{batchEnc("[CLS] a0 [SEP] [PAD]"), batchEnc("[CLS] a0 b1 [SEP]", batchEnc("[CLS] c2 d3 [SEP]"), batchEnc("[CLS] e4 f5 [SEP]"))}},
	{name: "pad longest ignores overflow", inputs: []Input{batchSingle("abcdef"), batchSingle("a")},
		opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 4}, Padding: Padding{Strategy: PadLongest}},
		want: []Encoding{batchEnc("[CLS] a0 b1 [SEP]", batchEnc("[CLS] c2 d3 [SEP]"), batchEnc("[CLS] e4 f5 [SEP]")), batchEnc("[CLS] a0 [SEP] [PAD]")}},
}

func TestEncodeBatchOffsetsOnRequest(t *testing.T) {
	in := []Input{batchSingle("abc")}
	got, err := EncodeBatch(context.Background(), batchTok{}, in, BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Offsets != nil {
		t.Errorf("offsets %v without BatchOptions.Offsets", got[0].Offsets)
	}
	got, err = EncodeBatch(context.Background(), batchTok{}, in, BatchOptions{Offsets: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Offset{{0, 1}, {1, 2}, {2, 3}}; !slices.Equal(got[0].Offsets, want) {
		t.Errorf("offsets %v, want %v", got[0].Offsets, want)
	}
}

func TestEncodeBatch(t *testing.T) {
	for _, tc := range batchCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, workers := range []int{1, 3} {
				opts := tc.opts
				opts.Workers = workers
				opts.Offsets = true
				got, err := EncodeBatch(context.Background(), batchTok{}, tc.inputs, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("%d encodings, want %d", len(got), len(tc.want))
				}
				for i := range got {
					if g, w := formatEncoding(got[i]), formatEncoding(tc.want[i]); g != w {
						t.Errorf("workers=%d input %d\n got %s\nwant %s", workers, i, g, w)
					}
				}
			}
		})
	}
}

func TestEncodeBatchErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tok    Tokenizer
		inputs []Input
		opts   BatchOptions
		want   string
	}{
		{name: "max length below the template", inputs: []Input{batchSingle("abc")},
			opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 1}},
			want: "input 0: truncation max length 1 is smaller than the 2 tokens the template adds"},
		{name: "max length below the batchPair template", inputs: []Input{batchSingle("a"), batchPair("a", "b")},
			opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 2}},
			want: "input 1: truncation max length 2 is smaller than the 3 tokens"},
		{name: "stride too large", inputs: []Input{batchSingle("abcdef")},
			opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 5, Stride: 3}},
			want: "stride 3 must be smaller than the length 3"},
		{name: "only second without a pair", inputs: []Input{batchSingle("abcdef")},
			opts: BatchOptions{Truncation: Truncation{MaxLength: 3, Strategy: OnlySecond}},
			want: "OnlySecond needs a pair"},
		{name: "only second too short", inputs: []Input{batchPair("abcdef", "xy")},
			opts: BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 7, Strategy: OnlySecond}},
			want: "cannot remove 4 tokens from a sequence of 2"},
		{name: "only first too short", inputs: []Input{batchPair("ab", "uvwxyz")},
			opts: BatchOptions{Truncation: Truncation{MaxLength: 4, Strategy: OnlyFirst}},
			want: "cannot remove 4 tokens from a sequence of 2"},
		{name: "pad max length without length", inputs: []Input{batchSingle("a")},
			opts: BatchOptions{Padding: Padding{Strategy: PadMaxLength}}, want: "needs Padding.Length"},
		{name: "negative length", inputs: []Input{batchSingle("a")},
			opts: BatchOptions{Truncation: Truncation{MaxLength: -1}}, want: "negative"},
		{name: "tokenizer error", tok: batchTok{fail: "bad"}, inputs: []Input{batchSingle("ok"), batchPair("x", "bad")},
			want: "input 1: cannot encode bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.tok
			if tok == nil {
				tok = batchTok{}
			}
			got, err := EncodeBatch(context.Background(), tok, tc.inputs, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) || got != nil {
				t.Errorf("err = %v, want it to contain %q (and no result)", err, tc.want)
			}
		})
	}
}

// A tokenizer without Templater encodes with its own template and is
// truncated after it; without OffsetEncoder there are no offsets.
func TestEncodeBatchPlainTokenizer(t *testing.T) {
	got, err := EncodeBatch(context.Background(), batchPlainTok{}, []Input{batchSingle("abc"), batchPair("a", "b")},
		BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 4}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Encoding{
		{IDs: []int{batchCLS, 'a', 'b', 'c'}, TypeIDs: []int{0, 0, 0, 0}, AttentionMask: []int{1, 1, 1, 1}, SpecialMask: []int{0, 0, 0, 0},
			Overflowing: []Encoding{{IDs: []int{batchSEP}, TypeIDs: []int{0}, AttentionMask: []int{1}, SpecialMask: []int{0}}}},
		{IDs: []int{batchCLS, 'a', batchCLS, 'b'}, TypeIDs: []int{0, 0, 1, 1}, AttentionMask: []int{1, 1, 1, 1}, SpecialMask: []int{0, 0, 0, 0},
			Overflowing: []Encoding{
				{IDs: []int{batchSEP, batchCLS, 'b'}, TypeIDs: []int{0, 1, 1}, AttentionMask: []int{1, 1, 1}, SpecialMask: []int{0, 0, 0},
					Overflowing: []Encoding{{IDs: []int{batchSEP, batchSEP}, TypeIDs: []int{0, 1}, AttentionMask: []int{1, 1}, SpecialMask: []int{0, 0}}}},
				{IDs: []int{batchSEP, batchSEP}, TypeIDs: []int{0, 1}, AttentionMask: []int{1, 1}, SpecialMask: []int{0, 0}},
				{IDs: []int{batchCLS, 'a', batchSEP}, TypeIDs: []int{0, 0, 1}, AttentionMask: []int{1, 1, 1}, SpecialMask: []int{0, 0, 0},
					Overflowing: []Encoding{{IDs: []int{batchSEP, batchSEP}, TypeIDs: []int{0, 1}, AttentionMask: []int{1, 1}, SpecialMask: []int{0, 0}}}},
			}},
	}
	for i := range want {
		if g, w := formatEncoding(got[i]), formatEncoding(want[i]); g != w {
			t.Errorf("input %d\n got %s\nwant %s", i, g, w)
		}
		if got[i].Offsets != nil {
			t.Errorf("input %d: offsets %v from a tokenizer without offsets", i, got[i].Offsets)
		}
	}
}

func TestEncodeBatchParallel(t *testing.T) {
	var inputs []Input
	for i := range 500 {
		s := strings.Repeat(string(rune('a'+i%26)), i%37)
		if i%3 == 0 {
			inputs = append(inputs, batchPair(s, s[:len(s)/2]))
		} else {
			inputs = append(inputs, batchSingle(s))
		}
	}
	opts := BatchOptions{Encode: batchTemplate, Truncation: Truncation{MaxLength: 16, Stride: 2}, Padding: Padding{Strategy: PadLongest}, Workers: 1}
	want, err := EncodeBatch(context.Background(), batchTok{}, inputs, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{0, 2, 8, 1000} {
		opts.Workers = workers
		got, err := EncodeBatch(context.Background(), batchTok{}, inputs, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("workers=%d: result differs from workers=1", workers)
		}
	}
	for i, e := range want {
		if len(e.IDs) != 16 {
			t.Fatalf("input %d: length %d, want 16", i, len(e.IDs))
		}
	}
}

func TestEncodeBatchCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := EncodeBatch(ctx, batchTok{}, []Input{batchSingle("a"), batchSingle("b")}, BatchOptions{})
	if !errors.Is(err, context.Canceled) || got != nil {
		t.Errorf("got %v, err %v; want context.Canceled", got, err)
	}
}

func ExampleEncodeBatch() {
	// batchTok is the test's fake tokenizer: one id per byte, [CLS]=300, [SEP]=301.
	encs, err := EncodeBatch(context.Background(), batchTok{}, []Input{
		{Text: "hi"},
		{Text: "abcdef", Pair: "xy", HasPair: true},
	}, BatchOptions{
		Encode:     EncodeOptions{AddSpecial: true},
		Truncation: Truncation{MaxLength: 7},
		Padding:    Padding{Strategy: PadLongest},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range encs {
		fmt.Println(e.IDs, e.TypeIDs, e.AttentionMask, len(e.Overflowing))
	}
	// Output:
	// [300 104 105 301 0 0 0] [0 0 0 0 0 0 0] [1 1 1 1 0 0 0] 0
	// [300 97 98 301 120 121 301] [0 0 0 0 1 1 1] [1 1 1 1 1 1 1] 2
}

func FuzzEncodeBatch(f *testing.F) {
	f.Add("abcdef", "xy", true, true, 7, 1, 0, 0, 0, 8, 4)
	f.Add("", "", false, false, 0, 0, 1, 1, 1, 0, 0)
	f.Add("abc", "uvwxyz", true, true, 3, 0, 2, 0, 1, 5, 3)
	f.Fuzz(func(t *testing.T, a, b string, hasPair, add bool, maxLen, stride, strategy, side, padStrategy, padLen, mult int) {
		if len(a) > 200 || len(b) > 200 {
			t.Skip()
		}
		opts := BatchOptions{
			Encode:     EncodeOptions{AddSpecial: add},
			Truncation: Truncation{MaxLength: maxLen % 64, Stride: stride % 8, Strategy: TruncStrategy(strategy & 3), Side: Side(side & 1)},
			Padding:    Padding{Strategy: PadStrategy(padStrategy & 3), Length: padLen % 64, MultipleOf: mult % 9, Side: Side(side >> 1 & 1)},
			Offsets:    true,
		}
		inputs := []Input{{Text: a, Pair: b, HasPair: hasPair}, {Text: b}}
		encs, err := EncodeBatch(context.Background(), batchTok{}, inputs, opts)
		if err != nil {
			return
		}
		var check func(e Encoding, depth int)
		check = func(e Encoding, depth int) {
			n := len(e.IDs)
			if len(e.TypeIDs) != n || len(e.AttentionMask) != n || len(e.SpecialMask) != n || len(e.Offsets) != n {
				t.Fatalf("slice lengths differ: %s", formatEncoding(e))
			}
			// Overflowing pieces may be longer: with no room left after the
			// template, HF overflows each whole sequence.
			if depth == 0 && opts.Truncation.MaxLength > 0 && opts.Padding.Strategy == PadNone && n > opts.Truncation.MaxLength {
				t.Fatalf("length %d over max %d: %s", n, opts.Truncation.MaxLength, formatEncoding(e))
			}
			if depth > 3 {
				t.Fatal("overflow nested too deep")
			}
			for _, o := range e.Overflowing {
				check(o, depth+1)
			}
		}
		for _, e := range encs {
			check(e, 0)
		}
	})
}
