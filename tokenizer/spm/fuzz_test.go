package spm

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// FuzzParse feeds arbitrary bytes to Parse: it must return a tokenizer or
// an error, never panic, and a tokenizer it returns must encode and decode
// without panicking. Seeds: testdata/fuzz/FuzzParse plus the small model.
func FuzzParse(f *testing.F) {
	f.Add(smallModel().encode())
	uni := smallModel()
	uni.modelType = Unigram
	uni.remove = true
	f.Add(uni.encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data)
		if err != nil {
			return
		}
		for _, s := range []string{"", "abc", " a  b ", "<s>x\xff☃"} {
			for _, o := range []tokenizer.EncodeOptions{{}, {ParseSpecial: true, AddSpecial: true}} {
				ids, err := tok.Encode(s, o)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range ids {
					if id < 0 || id >= tok.VocabSize() {
						t.Fatalf("Encode(%q) gave id %d outside [0,%d)", s, id, tok.VocabSize())
					}
				}
				if _, err := tok.Decode(ids, tokenizer.DecodeOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := tok.Pieces(s); err != nil {
				t.Fatal(err)
			}
		}
		all := make([]int, min(tok.VocabSize(), 1000))
		for i := range all {
			all[i] = i
		}
		if _, err := tok.Decode(all, tokenizer.DecodeOptions{SkipSpecial: true}); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzLlama2RoundTrip checks decode(encode(s)) == s with Llama 2's model.
// SentencePiece semantics allow two exceptions: U+2581 (▁) in the input is
// SentencePiece's escaped space and decodes as a space, and bytes that are
// not valid UTF-8 become U+FFFD (each invalid byte one U+FFFD).
func FuzzLlama2RoundTrip(f *testing.F) {
	for _, s := range []string{"", " ", "Hello, world!", "  leading and trailing  ", "tab\tand\nnewline\r\n",
		"emoji: 😀👍🏽 🇮🇷", "中文字符测试", "a▁b", "\xff\xfe", "<s> [INST] hi [/INST] </s>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok := llama2(t)
		ids, err := tok.Encode(s, tokenizer.EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tok.Decode(ids, tokenizer.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(s, "▁", " ")
		if !utf8.ValidString(want) {
			var b strings.Builder
			for i := 0; i < len(want); {
				r, n := utf8.DecodeRuneInString(want[i:])
				if r == utf8.RuneError && n == 1 {
					b.WriteString("\uFFFD")
				} else {
					b.WriteString(want[i : i+n])
				}
				i += n
			}
			want = b.String()
		}
		if got != want {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q (ids %v)", s, got, want, ids)
		}
		if _, err := tok.Encode(s, tokenizer.EncodeOptions{ParseSpecial: true, AddSpecial: true}); err != nil {
			t.Fatal(err)
		}
	})
}
