package hf

import (
	"os"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// BenchmarkEncode encodes the whole of tinyshakespeare as one string (the
// "whole" mode of peers/hf_tokenizers_bench.mjs), without special tokens.
func BenchmarkEncode(b *testing.B) {
	text := shakespeare(b)
	for _, name := range hfNames {
		b.Run(name, func(b *testing.B) {
			tok := loadShared(b, name)
			tok.SetTruncation(nil) // pegasus: measure the whole corpus
			defer tok.SetTruncation(loadedTruncation(b, name))
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tok.Encode(text, tokenizer.EncodeOptions{ParseSpecial: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeLines encodes tinyshakespeare line by line ("lines" mode).
func BenchmarkEncodeLines(b *testing.B) {
	text := shakespeare(b)
	lines := splitLines(text)
	for _, name := range hfNames {
		b.Run(name, func(b *testing.B) {
			tok := loadShared(b, name)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				for _, l := range lines {
					if _, err := tok.Encode(l, tokenizer.EncodeOptions{ParseSpecial: true}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// loadedTruncation re-reads the file's truncation block.
func loadedTruncation(b *testing.B, name string) *Truncation {
	t, err := Load(shared.Path(b, "tokenizers/hf/"+name+"/tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	return t.Truncation()
}

// BenchmarkLoad measures Parse of llama3's 9 MB tokenizer.json.
func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile(shared.Path(b, "tokenizers/hf/llama3/tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
