package hf

import (
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// TestDuplicateMergeKeepsLastRank: a merge listed twice takes its later rank.
// Native HF tokenizers (@anush008/tokenizers 0.6.0) encode "abc" with this
// file as ["ab","c"] = [3,2]; with the first rank it would be ["a","bc"].
func TestDuplicateMergeKeepsLastRank(t *testing.T) {
	tok, err := Parse([]byte(`{"version":"1.0","added_tokens":[],"normalizer":null,"pre_tokenizer":null,
"post_processor":null,"decoder":null,"model":{"type":"BPE","dropout":null,"unk_token":null,
"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,
"vocab":{"a":0,"b":1,"c":2,"ab":3,"bc":4},"merges":["b c","a b","b c"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tok.Encode("abc", tokenizer.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{3, 2}; !slices.Equal(ids, want) {
		t.Errorf("Encode(abc) = %v, want %v (HF's)", ids, want)
	}
}
