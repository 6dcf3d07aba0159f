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
