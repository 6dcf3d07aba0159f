package bpe

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkApplyLong merges a 1 MiB-symbol input over a random table: the
// heap path a SentencePiece-style BPE without pre-tokenizer takes on a whole
// document.
func BenchmarkApplyLong(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	const alpha = 64
	m := NewMerges(0)
	next := alpha
	for r := 0; r < 20000; r++ {
		m.Add(rng.IntN(next), rng.IntN(next), r, next)
		next++
	}
	in := make([]int, 1<<20)
	for i := range in {
		in[i] = rng.IntN(alpha)
	}
	buf := make([]int, len(in))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		copy(buf, in)
		m.Apply(buf)
	}
}

// BenchmarkApplyWords merges many short words: the quadratic-scan path that
// pre-tokenized byte-level BPE takes.
func BenchmarkApplyWords(b *testing.B) {
	rng := rand.New(rand.NewPCG(8, 8))
	const alpha = 64
	m := NewMerges(0)
	next := alpha
	for r := 0; r < 20000; r++ {
		m.Add(rng.IntN(next), rng.IntN(next), r, next)
		next++
	}
	words := make([][]int, 10000)
	total := 0
	for i := range words {
		w := make([]int, 1+rng.IntN(12))
		for j := range w {
			w[j] = rng.IntN(alpha)
		}
		words[i] = w
		total += len(w)
	}
	buf := make([]int, 0, 16)
	b.SetBytes(int64(total))
	for b.Loop() {
		for _, w := range words {
			m.Apply(append(buf[:0], w...))
		}
	}
}
