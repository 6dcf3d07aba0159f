package charsmap

import (
	"os"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
)

func BenchmarkNormalize(b *testing.B) {
	m, _ := loadPegasus(b)
	text, err := os.ReadFile(shared.Path(b, "corpora/tinyshakespeare.txt"))
	if err != nil {
		b.Fatal(err)
	}
	s := string(text)
	b.Run("HF", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			m.Normalize(s)
		}
	})
	b.Run("NormalizePrefix", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			for rest := s; rest != ""; {
				_, n, _ := m.NormalizePrefix(rest)
				rest = rest[n:]
			}
		}
	})
}
