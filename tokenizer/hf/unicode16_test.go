package hf

import (
	"fmt"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// TestUnicode16Splits pins that Split/ByteLevel regexes classify letters new
// in Unicode 16.0 (U+1C89, U+16D40…) as letters, as native HF tokenizers do.
// Expected ids: @anush008/tokenizers 0.6.0 (native Rust tokenizers),
// encode(s, null, {addSpecialTokens: false}), probed 2026-11-28.
func TestUnicode16Splits(t *testing.T) {
	strs := []string{"\u1C89'll x", "a\u1C89b", "\U00016D40\U00016D41's", "x \U00011F5B1 2", "\u2FFC'll", "9\U0001E5F1"}
	want := map[string]string{
		"llama3": "[[157 110 231 3358 865] [64 157 110 231 65] [172 244 113 222 172 244 113 223 596] [87 109697 239 121 249 16 220 17] [158 123 120 6 657] [24 172 252 245 109]]",
		"qwen3":  "[[128233 231 3278 856] [64 128233 231 65] [125427 113 222 125427 113 223 594] [87 220 128240 121 249 16 220 17] [126185 120 6 654] [24 172 252 245 109]]",
		"gpt4o":  "[[157 110 231 6090 1215] [64 157 110 231 65] [172 244 113 222 172 244 113 223 885] [87 220 172 239 121 249 16 220 17] [158 123 120 6 680] [24 172 252 245 109]]",
	}
	for _, dir := range []string{"llama3", "qwen3", "gpt4o"} {
		t.Run(dir, func(t *testing.T) {
			tk := loadShared(t, dir)
			var got [][]int
			for _, s := range strs {
				ids, err := tk.Encode(s, tokenizer.EncodeOptions{ParseSpecial: true})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids)
			}
			if g := fmt.Sprint(got); g != want[dir] {
				t.Errorf("ids\n got %s\nwant %s", g, want[dir])
			}
		})
	}
}
