package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestByteLevelAlphabet(t *testing.T) {
	// Values from GPT-2's published encoder: "Ġ" is a space, "Ċ" a newline,
	// "ĉ" a tab; printable ASCII maps to itself.
	tests := []struct {
		name string
		b    byte
		want rune
	}{
		{name: "space", b: ' ', want: 'Ġ'},
		{name: "newline", b: '\n', want: 'Ċ'},
		{name: "tab", b: '\t', want: 'ĉ'},
		{name: "NUL", b: 0, want: 'Ā'},
		{name: "letter", b: 'a', want: 'a'},
		{name: "DEL", b: 0x7F, want: 'ġ'},
		{name: "soft hyphen", b: 0xAD, want: 'Ń'},
		{name: "latin-1 printable", b: 0xE9, want: 'é'},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ByteToRune(tc.b); got != tc.want {
				t.Errorf("ByteToRune(%#x) = %q, want %q", tc.b, got, tc.want)
			}
		})
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	back, ok := ByteLevelToBytes(BytesToByteLevel(all))
	if !ok || !slices.Equal(back, all) {
		t.Fatalf("byte-level round trip failed")
	}
	if _, ok := ByteLevelToBytes("a b"); ok {
		t.Errorf("ByteLevelToBytes accepted a plain space, which is not in the alphabet")
	}
}

func TestSpecialMatcherSplit(t *testing.T) {
	m := NewSpecialMatcher([]SpecialToken{
		{Text: "<|end|>", ID: 1},
		{Text: "<|endoftext|>", ID: 2},
		{Text: "<s>", ID: 3},
		{Text: "", ID: 4},
	})
	tests := []struct {
		name string
		in   string
		want []Segment
	}{
		{name: "empty", in: "", want: nil},
		{name: "no specials", in: "hello", want: []Segment{{0, "hello", -1}}},
		{name: "longest wins", in: "a<|endoftext|>b", want: []Segment{{0, "a", -1}, {1, "<|endoftext|>", 2}, {14, "b", -1}}},
		{name: "shorter when longer does not match", in: "<|end|>x", want: []Segment{{0, "<|end|>", 1}, {7, "x", -1}}},
		{name: "adjacent", in: "<s><s>", want: []Segment{{0, "<s>", 3}, {3, "<s>", 3}}},
		{name: "partial prefix is text", in: "<|endof", want: []Segment{{0, "<|endof", -1}}},
		{name: "invalid utf-8 kept", in: "\xff<s>\xfe", want: []Segment{{0, "\xff", -1}, {1, "<s>", 3}, {4, "\xfe", -1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := m.Split(tc.in)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Split(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	var nilMatcher *SpecialMatcher
	if got := nilMatcher.Split("<s>"); !slices.Equal(got, []Segment{{0, "<s>", -1}}) {
		t.Errorf("nil matcher split = %v", got)
	}
}

func FuzzSpecialMatcherSplit(f *testing.F) {
	for _, s := range []string{"", "<s>", "a<|endoftext|>b", "<|end<|end|>", "\xff\xfe<s"} {
		f.Add(s)
	}
	m := NewSpecialMatcher([]SpecialToken{{Text: "<|end|>", ID: 1}, {Text: "<|endoftext|>", ID: 2}, {Text: "<s>", ID: 3}})
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		pos := 0
		for _, seg := range m.Split(s) {
			if seg.Start != pos {
				t.Fatalf("segment starts at %d, want %d", seg.Start, pos)
			}
			b.WriteString(seg.Text)
			pos += len(seg.Text)
		}
		if b.String() != s {
			t.Fatalf("segments do not tile the input: %q != %q", b.String(), s)
		}
	})
}

// byteTok is a test tokenizer with one id per byte; ids 256+ are special
// tokens "<0>", "<1>"…
type byteTok struct{}

func (byteTok) Encode(text string, _ EncodeOptions) ([]int, error) {
	ids := make([]int, len(text))
	for i := range len(text) {
		ids[i] = int(text[i])
	}
	return ids, nil
}

func (byteTok) Decode(ids []int, opts DecodeOptions) (string, error) {
	var b []byte
	for i, id := range ids {
		switch {
		case id < 0 || id >= 258:
			return "", UnknownIDError(id, i, 258)
		case id >= 256:
			if !opts.SkipSpecial {
				b = append(b, "<"+string(rune('0'+id-256))+">"...)
			}
		default:
			b = append(b, byte(id))
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

func (byteTok) VocabSize() int     { return 258 }
func (byteTok) Specials() Specials { return NoSpecials() }

func TestStreamDecoderHoldsPartialCharacters(t *testing.T) {
	text := "añ😉x€"
	ids, _ := byteTok{}.Encode(text, EncodeOptions{})
	d := NewStreamDecoder(byteTok{}, DecodeOptions{})
	var got []string
	for _, id := range ids {
		s, err := d.Add(id)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("emitted invalid UTF-8 %q", s)
		}
		if s != "" {
			got = append(got, s)
		}
	}
	want := []string{"a", "ñ", "😉", "x", "€"}
	if !slices.Equal(got, want) {
		t.Errorf("stream pieces = %q, want %q", got, want)
	}
	if rest, _ := d.Flush(); rest != "" {
		t.Errorf("Flush after complete text = %q, want empty", rest)
	}
}

func TestStreamDecoderFlushesIncompleteTail(t *testing.T) {
	d := NewStreamDecoder(byteTok{}, DecodeOptions{})
	for _, id := range []int{'o', 'k', 0xE2, 0x82} { // "ok" + first two bytes of "€"
		if _, err := d.Add(id); err != nil {
			t.Fatal(err)
		}
	}
	rest, err := d.Flush()
	if err != nil {
		t.Fatal(err)
	}
	if rest != "\uFFFD" {
		t.Errorf("Flush = %q, want a single U+FFFD for the cut character", rest)
	}
}

func TestStreamDecoderLongStreamAndErrors(t *testing.T) {
	d := NewStreamDecoder(byteTok{}, DecodeOptions{SkipSpecial: true})
	var b strings.Builder
	text := strings.Repeat("héllo wörld ", 50)
	ids, _ := byteTok{}.Encode(text, EncodeOptions{})
	ids = append(ids, 256) // a special token, skipped
	for _, id := range ids {
		s, err := d.Add(id)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(s)
	}
	rest, _ := d.Flush()
	b.WriteString(rest)
	if b.String() != text {
		t.Errorf("streamed text differs from the input")
	}
	if _, err := d.Add(999); err == nil {
		t.Errorf("Add(999) did not report the unknown id")
	}
}

// wordTok is a test tokenizer whose ids index words; Decode joins them with
// spaces and then cleans up " ' m" to "'m", rewriting text an earlier id
// produced, as clean_up_tokenization_spaces does.
type wordTok struct{ revises bool }

var wordTokWords = []string{"i", "'", "m", "here", "now"}

func (wordTok) Encode(string, EncodeOptions) ([]int, error) { return nil, nil }
func (wordTok) VocabSize() int                              { return len(wordTokWords) }
func (wordTok) Specials() Specials                          { return NoSpecials() }
func (w wordTok) RevisesText() bool                         { return w.revises }

func (wordTok) Decode(ids []int, _ DecodeOptions) (string, error) {
	parts := make([]string, len(ids))
	for i, id := range ids {
		if id < 0 || id >= len(wordTokWords) {
			return "", UnknownIDError(id, i, len(wordTokWords))
		}
		parts[i] = wordTokWords[id]
	}
	return strings.ReplaceAll(strings.Join(parts, " "), " ' m", "'m"), nil
}

func streamAll(t *testing.T, tok Tokenizer, ids []int) string {
	t.Helper()
	d := NewStreamDecoder(tok, DecodeOptions{})
	var b strings.Builder
	for _, id := range ids {
		s, err := d.Add(id)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(s)
	}
	rest, err := d.Flush()
	if err != nil {
		t.Fatal(err)
	}
	return b.String() + rest
}

func TestStreamDecoderReviser(t *testing.T) {
	ids := []int{3, 0, 1, 2, 3, 4} // here i ' m here now
	want, _ := wordTok{}.Decode(ids, DecodeOptions{})
	if got := streamAll(t, wordTok{revises: true}, ids); got != want {
		t.Errorf("Reviser stream = %q, want Decode's %q", got, want)
	}
}

func TestStreamDecoderRewriteDoesNotStall(t *testing.T) {
	// A tokenizer that rewrites text without saying so: the stream loses the
	// clean-up but keeps every later word.
	ids := []int{0, 1, 2, 3, 4}
	got := streamAll(t, wordTok{revises: false}, ids)
	if !strings.HasPrefix(got, "i '") || !strings.HasSuffix(got, "here now") {
		t.Errorf("stream = %q: text after the rewrite was lost", got)
	}
}

func TestStreamDecoderWindowStaysShort(t *testing.T) {
	d := NewStreamDecoder(byteTok{}, DecodeOptions{})
	for i := 0; i < 10000; i++ {
		if _, err := d.Add('a' + i%26); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.ids) > 128 {
		t.Errorf("window holds %d ids after 10000 ASCII tokens", len(d.ids))
	}
}

// TestStreamDecoderPrime: after a primed prompt, only the continuation comes
// out — also from a Reviser, which holds back its newest id's text (the
// prompt's last word must not be repeated with the first new id) — and a
// prompt ending inside a UTF-8 character emits that character once its last
// byte arrives.
func TestStreamDecoderPrime(t *testing.T) {
	for _, revises := range []bool{false, true} {
		d := NewStreamDecoder(wordTok{revises: revises}, DecodeOptions{})
		if err := d.Prime([]int{3, 0}); err != nil { // "here i"
			t.Fatal(err)
		}
		var b strings.Builder
		for _, id := range []int{3, 4} { // " here now"
			s, err := d.Add(id)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(s)
		}
		rest, _ := d.Flush()
		if got := b.String() + rest; got != " here now" {
			t.Errorf("revises=%v: continuation %q, want %q", revises, got, " here now")
		}
	}
	d := NewStreamDecoder(byteTok{}, DecodeOptions{})
	if err := d.Prime([]int{'a', 0xC3}); err != nil { // "a" + the first byte of "é"
		t.Fatal(err)
	}
	if s, _ := d.Add(0xA9); s != "é" {
		t.Errorf("the character completed after the prompt: %q, want %q", s, "é")
	}
}
