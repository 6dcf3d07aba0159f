package hf

import (
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// TestTokenBytes checks byte-level (llama3, qwen3) and Metaspace/ByteFallback
// (mistral) decoders: the bytes of each id, concatenated, give the decoded
// text up to a leading space. (WordPiece's clean-up rewrites text across
// tokens, which per-token bytes cannot express, so bert is left out.)
func TestTokenBytes(t *testing.T) {
	texts := []string{"Hello, world!", "é😀 ünïcödé 日本語", "{\"a\": [1, 2.5]}"}
	for _, name := range []string{"llama3", "qwen3", "mistral7b-v0.1-from-lenml-llama2"} {
		t.Run(name, func(t *testing.T) {
			tok := loadShared(t, name)
			for _, text := range texts {
				ids, err := tok.Encode(text, tokenizer.EncodeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var got []byte
				for _, id := range ids {
					got = append(got, tok.TokenBytes(id)...)
				}
				want, err := tok.Decode(ids, tokenizer.DecodeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want && strings.TrimPrefix(string(got), " ") != want {
					t.Errorf("%q: token bytes %q, decode %q", text, got, want)
				}
			}
			for _, sp := range tok.Specials().Tokens {
				if sp.Control && tok.TokenBytes(sp.ID) != nil {
					t.Errorf("special %q has bytes", sp.Text)
				}
			}
		})
	}
}
