package llamavocab

import (
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// TestTokenBytes checks that the bytes of each id, concatenated, give the
// decoded text (up to the leading space SPM decoding drops from the first
// token), for SPM with byte fallback and gpt2 byte-level BPE. (WPM is left
// out: its decoding cleans up spaces across tokens, " ," → ",", which no
// per-token bytes can express.)
func TestTokenBytes(t *testing.T) {
	texts := []string{"Hello, world!", " two  spaces\nand a line", "é😀 ünïcödé 日本語", "{\"a\": [1, 2.5]}"}
	for _, rel := range []string{
		"tokenizers/llama.cpp-vocab/ggml-vocab-llama-spm.gguf",
		"tokenizers/llama.cpp-vocab/ggml-vocab-gpt-2.gguf",
		"models/stories260K.gguf",
	} {
		t.Run(rel[strings.LastIndex(rel, "/")+1:], func(t *testing.T) {
			v := loadShared(t, rel)
			vb, err := tokenizer.VocabBytes(v)
			if err != nil {
				t.Fatal(err)
			}
			for id, b := range vb {
				if v.attr[id]&attrControl != 0 && b != nil {
					t.Fatalf("control token %d has bytes %q", id, b)
				}
			}
			for _, text := range texts {
				ids, err := v.Encode(text, tokenizer.EncodeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var got []byte
				for _, id := range ids {
					got = append(got, v.TokenBytes(id)...)
				}
				want, err := v.Decode(ids, tokenizer.DecodeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want && strings.TrimPrefix(string(got), " ") != want {
					t.Errorf("%q: token bytes %q, decode %q", text, got, want)
				}
			}
		})
	}
}
