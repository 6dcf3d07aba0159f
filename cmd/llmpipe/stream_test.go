package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// TestStreamDecodeEveryFormat feeds the ids of the 24 reference strings one
// at a time through tokenizer.StreamDecoder, for a tokenizer of every
// format, and checks that the pieces are whole UTF-8 characters and add up
// to Decode of all the ids (which the format packages test against the
// reference tools).
func TestStreamDecodeEveryFormat(t *testing.T) {
	v := shared.LoadTokenizerVectors(t)
	paths := []string{
		"tokenizers/tiktoken/cl100k_base.tiktoken",
		"tokenizers/tiktoken/o200k_base.tiktoken",
		"tokenizers/hf/llama3",
		"tokenizers/hf/qwen3",
		"tokenizers/hf/mistral7b-v0.1-from-lenml-llama2",
		"tokenizers/hf/bert-base-uncased",
		"tokenizers/hf/pegasus",
		"tokenizers/llama2-sentencepiece/tokenizer.model",
		"models/stories260K.gguf",
		"tokenizers/llama.cpp-vocab/ggml-vocab-gpt-2.gguf",
		"tokenizers/llama.cpp-vocab/ggml-vocab-bert-bge.gguf",
	}
	for _, rel := range paths {
		t.Run(rel, func(t *testing.T) {
			tok, err := loadTokenizer(shared.Path(t, rel))
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range v.Strings {
				ids, err := tok.Encode(s, tokenizer.EncodeOptions{AddSpecial: true})
				if err != nil {
					t.Fatalf("string %d: %v", i, err)
				}
				for _, skip := range []bool{false, true} {
					opts := tokenizer.DecodeOptions{SkipSpecial: skip}
					want, err := tok.Decode(ids, opts)
					if err != nil {
						t.Fatal(err)
					}
					d := tokenizer.NewStreamDecoder(tok, opts)
					var b strings.Builder
					for _, id := range ids {
						piece, err := d.Add(id)
						if err != nil {
							t.Fatal(err)
						}
						if !utf8.ValidString(piece) || strings.HasSuffix(piece, "\uFFFD") && !strings.Contains(want, "\uFFFD") {
							t.Errorf("string %d: streamed a broken character %q", i, piece)
						}
						b.WriteString(piece)
					}
					rest, err := d.Flush()
					if err != nil {
						t.Fatal(err)
					}
					b.WriteString(rest)
					if b.String() != want {
						t.Errorf("string %d (skip special %v): streamed %q, Decode gives %q", i, skip, b.String(), want)
					}
				}
			}
		})
	}
}
