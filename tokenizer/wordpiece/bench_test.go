package wordpiece

import (
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/llmpipe/llmpipe/internal/shared"
)

func BenchmarkEncodeBert(b *testing.B) {
	m := loadBert(b)
	text, err := os.ReadFile(shared.Path(b, "corpora/tinyshakespeare.txt"))
	if err != nil {
		b.Fatal(err)
	}
	// Roughly BertPreTokenizer on lowercased text: split off punctuation.
	words := strings.FieldsFunc(strings.ToLower(string(text)), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r)
	})
	var n int64
	for _, w := range words {
		n += int64(len(w))
	}
	b.SetBytes(n)
	var ids []int
	for b.Loop() {
		for _, w := range words {
			ids = m.Encode(ids[:0], w)
		}
	}
}
