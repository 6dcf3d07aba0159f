package spm

import (
	"os"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

func shakespeare(b *testing.B) string {
	b.Helper()
	data, err := os.ReadFile(shared.Path(b, "corpora/tinyshakespeare.txt"))
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// BenchmarkLlama2Lines encodes TinyShakespeare one line (with its newline)
// at a time, the way kitoken's and HF's "lines" numbers are measured.
func BenchmarkLlama2Lines(b *testing.B) {
	tok := llama2(b)
	text := shakespeare(b)
	lines := strings.SplitAfter(text, "\n")
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, l := range lines {
			ids, _ := tok.Encode(l, tokenizer.EncodeOptions{})
			n += len(ids)
		}
		b.ReportMetric(float64(n), "tokens")
	}
}

// BenchmarkLlama2Whole encodes TinyShakespeare as one string: SentencePiece
// has no pre-tokenizer, so this is one sequence of 1.1 MB.
func BenchmarkLlama2Whole(b *testing.B) {
	tok := llama2(b)
	text := shakespeare(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		ids, _ := tok.Encode(text, tokenizer.EncodeOptions{})
		b.ReportMetric(float64(len(ids)), "tokens")
	}
}

// BenchmarkLlama2Decode decodes the ids of TinyShakespeare.
func BenchmarkLlama2Decode(b *testing.B) {
	tok := llama2(b)
	text := shakespeare(b)
	ids, _ := tok.Encode(text, tokenizer.EncodeOptions{})
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		tok.Decode(ids, tokenizer.DecodeOptions{})
	}
}

// BenchmarkLlama2WholeCold is BenchmarkLlama2Whole with the word cache
// emptied before every run, so every word is segmented once.
func BenchmarkLlama2WholeCold(b *testing.B) {
	tok := llama2(b)
	text := shakespeare(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		tok.cacheMu.Lock()
		clear(tok.cache)
		tok.cacheMu.Unlock()
		b.StartTimer()
		ids, _ := tok.Encode(text, tokenizer.EncodeOptions{})
		b.ReportMetric(float64(len(ids)), "tokens")
	}
}
