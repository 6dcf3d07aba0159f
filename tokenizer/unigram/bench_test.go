package unigram

import (
	"os"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// shakespeareWords returns tinyshakespeare split on whitespace, each word
// prefixed with "▁" as the Metaspace pre-tokenizer does, and their bytes.
func shakespeareWords(b *testing.B) ([]string, int64) {
	text, err := os.ReadFile(shared.Path(b, "corpora/tinyshakespeare.txt"))
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	words := strings.Fields(string(text))
	for i, w := range words {
		words[i] = "▁" + w
		n += int64(len(words[i]))
	}
	return words, n
}

func BenchmarkEncodePegasus(b *testing.B) {
	m, _ := loadPegasus(b)
	words, n := shakespeareWords(b)
	b.SetBytes(n)
	var ids []int
	for b.Loop() {
		for _, w := range words {
			ids = m.Encode(ids[:0], w)
		}
	}
}
