package tiktoken

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// TestBorrowedRankEncodings checks p50k_edit and gpt2, which read another
// encoding's rank file. Expected ids: npm tiktoken 1.0.22,
// get_encoding(name).encode(s, "all") and .encode_ordinary(s), 2026-11-28.
func TestBorrowedRankEncodings(t *testing.T) {
	dir := filepath.Dir(shared.Path(t, "tokenizers/tiktoken/p50k_base.tiktoken"))
	strs := []string{"<|fim_prefix|>def f(x):<|fim_suffix|>\n    return x<|fim_middle|>", "Hello <|endoftext|> world  ", "<|endofprompt|> stays text"}
	tests := []struct {
		name          string
		all, ordinary string
	}{
		{name: "p50k_edit",
			all:      "[[50281 4299 277 7 87 2599 50283 198 50258 1441 2124 50282] [15496 220 50256 995 50257] [27 91 437 1659 16963 457 91 29 14768 2420]]",
			ordinary: "[[27 91 69 320 62 40290 91 29 4299 277 7 87 2599 27 91 69 320 62 37333 844 91 29 198 50258 1441 2124 27 91 69 320 62 27171 91 29] [15496 1279 91 437 1659 5239 91 29 995 50257] [27 91 437 1659 16963 457 91 29 14768 2420]]"},
		{name: "gpt2",
			all:      "[[27 91 69 320 62 40290 91 29 4299 277 7 87 2599 27 91 69 320 62 37333 844 91 29 198 220 220 220 1441 2124 27 91 69 320 62 27171 91 29] [15496 220 50256 995 220 220] [27 91 437 1659 16963 457 91 29 14768 2420]]",
			ordinary: "[[27 91 69 320 62 40290 91 29 4299 277 7 87 2599 27 91 69 320 62 37333 844 91 29 198 220 220 220 1441 2124 27 91 69 320 62 27171 91 29] [15496 1279 91 437 1659 5239 91 29 995 220 220] [27 91 437 1659 16963 457 91 29 14768 2420]]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The shared folder holds the base rank files; Get must read them
			// there without downloading (BaseURL points nowhere).
			enc, err := Get(context.Background(), tc.name, Options{CacheDir: dir, BaseURL: "http://127.0.0.1:1/"})
			if err != nil {
				t.Fatal(err)
			}
			var all, ord [][]int
			for _, s := range strs {
				ids, err := enc.EncodeSpecial(s, AllSpecial, NoSpecial)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, ids)
				ord = append(ord, enc.EncodeOrdinary(s))
			}
			if g := fmt.Sprint(all); g != tc.all {
				t.Errorf("encode(s, \"all\")\n got %s\nwant %s", g, tc.all)
			}
			if g := fmt.Sprint(ord); g != tc.ordinary {
				t.Errorf("encode_ordinary\n got %s\nwant %s", g, tc.ordinary)
			}
		})
	}
}
