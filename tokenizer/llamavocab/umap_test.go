package llamavocab

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestUnorderedMapOrder pins the iteration order of a libstdc++
// std::unordered_map<std::string, int> filled with 30 keys in order (printed
// by a C++ program built with g++ 12.2 / libstdc++ 6.0.30; the same program
// agreed with unorderedMapOrder on the whole Llama 3 and Qwen3 vocabularies).
func TestUnorderedMapOrder(t *testing.T) {
	var keys []string
	for i := range 30 {
		keys = append(keys, fmt.Sprintf("t%dx%s", i, strings.Repeat("y", i%13)))
	}
	want := []int{29, 8, 0, 28, 7, 9, 22, 24, 5, 6, 10, 11, 26, 4, 3, 19, 27, 12, 2, 20, 23, 14, 15, 13, 16, 1, 17, 18, 21, 25}
	pos := unorderedMapOrder(keys)
	got := make([]int, len(pos))
	for id, p := range pos {
		got[p] = id
	}
	if !slices.Equal(got, want) {
		t.Errorf("order %v\nwant %v", got, want)
	}
}

// TestEOTDetectionOrder: llama.cpp (node-llama-cpp 3.21.1) picks these EOT
// ids for vocabularies with several EOT-looking tokens and no eot_token_id.
func TestEOTDetectionOrder(t *testing.T) {
	for _, c := range []struct {
		name string
		v    func(t *testing.T) *Vocab
		eot  int
	}{
		{"llama3", func(t *testing.T) *Vocab { return loadBuilt(t, "llama3-llama-bpe") }, 128009},                                // <|eot_id|>, not <|end_of_text|> 128001
		{"qwen3", func(t *testing.T) *Vocab { return loadBuilt(t, "qwen3-qwen2") }, 151645},                                      // <|im_end|>, not <|endoftext|> 151643
		{"phi-3", func(t *testing.T) *Vocab { return loadShared(t, "tokenizers/llama.cpp-vocab/ggml-vocab-phi-3.gguf") }, 32007}, // <|end|>, not <|endoftext|> 32000
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.v(t).eot; got != c.eot {
				t.Errorf("eot %d, want %d", got, c.eot)
			}
		})
	}
}
