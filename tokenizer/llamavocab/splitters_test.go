package llamavocab

import (
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

func pieces(sp pretok.Splitter, s string) []string {
	var out []string
	for _, m := range sp.FindAll(nil, s) {
		out = append(out, s[m.Start:m.End])
	}
	return out
}

func TestAFMoEDigits(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"1234567", []string{"1", "234", "567"}},
		{"ab12345cd", []string{"ab12", "345", "cd"}}, // text before a run sticks to its first group
		{"x123y", []string{"x123", "y"}},
		{"no digits", []string{"no digits"}},
		{"١٢٣٤ 56", []string{"١", "٢٣٤", " 56"}}, // \p{N}, not only ASCII
		{"", nil},
	} {
		if got := pieces(afmoeDigits{}, c.in); !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSuperBPEGroups(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"1234567890123", []string{"1", "234", "567", "890", "123"}},
		{"123", []string{"123"}},
		{"12", []string{"12"}},
		{"١23456", []string{"١23", "456"}}, // \d is ASCII in std::wregex
		{"1234١", []string{"1", "234١"}},
	} {
		if got := pieces(superBPEGroups{}, c.in); !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

// TestPreVariantRegressions pins llama.cpp's ids (node-llama-cpp 3.21.1) for
// the Llama 3 vocabulary under other pre-tokenizer types, where llama.cpp's
// regex handling differs from a plain regex engine.
func TestPreVariantRegressions(t *testing.T) {
	for _, c := range []struct {
		pre, text string
		want      []int
	}{
		// U+2028 is whitespace: not in [\u0800-\u4e00] for llama.cpp.
		{"deepseek-coder", "func’t \u2029\x7fcamelCase\u2028 func\n", []int{2900, 529, 83, 639, 102, 221, 94421, 4301, 378, 101, 2988, 198}},
		// superbpe cuts digit runs in threes from the right (empty matches).
		{"superbpe", "1234567890123", []int{16, 11727, 19282, 21381, 4513}},
		// tiny_aya: AFMoE digit splitter; \p{Lu}/\p{Ll} are both LETTER.
		{"tiny_aya", "fox've  iPhone", []int{15361, 3077, 220, 12443}},
		// kimi-k2: llama.cpp's hand-written splitter.
		{"kimi-k2", "\vHTTPServer'VE👩🏿\u200d💻 Func HTTPServer\u0327 🇯🇵🇫🇷\n", []int{199, 9412, 5592, 6, 4592, 9468, 239, 102, 9468, 237, 123, 102470,
			93273, 119, 18503, 10339, 5592, 123693, 11410, 229, 107, 9468, 229, 113, 9468, 229, 104, 9468, 229, 115, 198}},
		{"kimi-k2", "Syrtis've", []int{35767, 3423, 285, 3077}},
	} {
		t.Run(c.pre, func(t *testing.T) {
			v := loadBuilt(t, "llama3-"+c.pre)
			got, err := v.Encode(c.text, tokenizer.EncodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%q: %v, want %v", c.text, got, c.want)
			}
		})
	}
}

func TestUnicode151(t *testing.T) {
	in := "a\U0002EBF0b\u2FFC\u31EF\u4E00"
	got := unicode151(in)
	if want := "a\U00010000b\u2FF0\u2FF0\u4E00"; got != want || len(got) != len(in) {
		t.Errorf("unicode151(%q) = %q, want %q", in, got, want)
	}
	if s := "plain ascii 中文"; unicode151(s) != s {
		t.Errorf("unicode151 changed %q", s)
	}
}

// TestUnicodeVersionRegressions pins llama.cpp's ids (node-llama-cpp 3.21.1,
// whose unicode-data.cpp is Unicode 15.1) for code points that Go's Unicode
// 15.0 tables do not have: CJK Extension I is a letter there, and unassigned
// code points (Garay, Unicode 16) stay in WordPiece words (UNDEFINED, not
// control).
func TestUnicodeVersionRegressions(t *testing.T) {
	for _, c := range []struct {
		name, text string
		v          func(t *testing.T) *Vocab
		want       []int
	}{
		{"llama3 ext-I", " \U0002EBF0", func(t *testing.T) *Vocab { return loadBuilt(t, "llama3-llama-bpe") }, []int{109697, 106, 107, 108}},
		{"llama3 ext-I 's", "x\U0002EBF0's", func(t *testing.T) *Vocab { return loadBuilt(t, "llama3-llama-bpe") }, []int{87, 172, 106, 107, 108, 596}},
		{"bert ext-I", "a\U0002EBF0b", func(t *testing.T) *Vocab {
			return loadShared(t, "tokenizers/llama.cpp-vocab/ggml-vocab-bert-bge.gguf")
		}, []int{100}},
		{"bert unassigned", "x\U00010D40's", func(t *testing.T) *Vocab {
			return loadShared(t, "tokenizers/llama.cpp-vocab/ggml-vocab-bert-bge.gguf")
		}, []int{100, 1005, 1055}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.v(t).Encode(c.text, tokenizer.EncodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%q: %v, want %v", c.text, got, c.want)
			}
		})
	}
}
