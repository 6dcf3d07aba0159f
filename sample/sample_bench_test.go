package sample

import (
	"math/rand/v2"
	"testing"
)

// llama3Vocab is Llama 3's vocabulary size.
const llama3Vocab = 128256

// benchLogits returns Gaussian logits (σ 2.5) over a Llama 3 vocabulary with
// a few clear favourites, roughly the shape of a language model's output.
func benchLogits() []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	l := make([]float32, llama3Vocab)
	for i := range l {
		l[i] = float32(r.NormFloat64() * 2.5)
	}
	for i := range 20 {
		l[r.IntN(len(l))] = 15 - float32(i)*0.5
	}
	return l
}

// BenchmarkChain measures one Sample call (the whole chain and the draw)
// on a 128256-entry vocabulary, for the default chain and each processor
// alone. Report: ns/op is the sampler's cost per generated token.
func BenchmarkChain(b *testing.B) {
	logits := benchLogits()
	hist := make([]int, 64)
	for i := range hist {
		hist[i] = (i * 7919) % llama3Vocab
	}
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"greedy", Options{}},
		{"llama.cpp-default", Options{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05}},
		{"default+penalties", Options{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, FrequencyPenalty: 0.5, PresencePenalty: 0.5}},
		{"temperature", Options{Temperature: 1}},
		{"top-k=40", Options{Temperature: 1, TopK: 40}},
		{"top-p=0.95", Options{Temperature: 1, TopP: 0.95}},
		{"top-p=0.5", Options{Temperature: 1, TopP: 0.5}},
		{"min-p=0.05", Options{Temperature: 1, MinP: 0.05}},
		{"typical-p=0.95", Options{Temperature: 1, TypicalP: 0.95}},
		{"penalties", Options{RepeatPenalty: 1.1, FrequencyPenalty: 0.5, PresencePenalty: 0.5}},
		{"logit-bias", Options{LogitBias: map[int]float32{5: -100, 9: 3}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.o.Rand = rand.New(rand.NewPCG(3, 4))
			s, err := New(c.o)
			if err != nil {
				b.Fatal(err)
			}
			s.Observe(hist...)
			for b.Loop() {
				if _, err := s.Sample(logits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLogProbs measures the chosen token's log-probability plus the
// top 5 alternatives on a 128256-entry vocabulary.
func BenchmarkLogProbs(b *testing.B) {
	logits := benchLogits()
	for b.Loop() {
		if _, err := LogProbs(logits, 17, 5); err != nil {
			b.Fatal(err)
		}
	}
}
