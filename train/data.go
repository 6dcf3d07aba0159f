package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/llmpipe/llmpipe/data"
)

// Source is a stream of token ids that training windows are drawn from:
// package data's memory-mapped token file (*data.Tokens) or a slice in
// memory (data.Slice, Tokens), or a range of one (View).
type Source = data.Source

// View returns the ids r of src as a Source of its own (a split of a token
// file: data.Split's ranges).
func View(src Source, r data.Range) Source { return view{src, r} }

type view struct {
	src Source
	r   data.Range
}

// Len implements Source.
func (v view) Len() int { return v.r.Len() }

// Read implements Source.
func (v view) Read(dst []int, off int) { v.src.Read(dst, v.r.Start+off) }

// Tokens is a Source held in memory.
type Tokens []int32

// Len implements Source.
func (t Tokens) Len() int { return len(t) }

// Read implements Source.
func (t Tokens) Read(dst []int, off int) {
	for i := range dst {
		dst[i] = int(t[off+i])
	}
}

// Split returns the first 1−valFrac of t for training and the rest for
// validation (nanoGPT's prepare.py: train = data[:0.9·n]).
func Split(t Tokens, valFrac float64) (trainSplit, val Tokens) {
	n := int(float64(len(t)) * (1 - valFrac))
	return t[:n], t[n:]
}

// checkSplit reports a split too small for windows of ctx tokens and their
// targets.
func checkSplit(name string, s Source, ctx int) error {
	if s == nil || s.Len() == 0 {
		return fmt.Errorf("train: the %s split is empty: give a larger corpus", name)
	}
	if s.Len() < ctx+1 {
		return fmt.Errorf("train: the %s split has %d tokens, fewer than one window of context %d plus its target (%d): give a larger corpus or a smaller --ctx",
			name, s.Len(), ctx, ctx+1)
	}
	return nil
}

// randomBatch fills ids and targets ([batch·T] each) with batch windows of
// T tokens at random offsets in [0, Len−T) and the tokens that follow them
// (nanoGPT's get_batch).
func randomBatch(rng *rand.Rand, s Source, ids, targets []int, batch, T int) {
	buf := make([]int, T+1)
	for b := 0; b < batch; b++ {
		off := rng.IntN(s.Len() - T)
		s.Read(buf, off)
		copy(ids[b*T:], buf[:T])
		copy(targets[b*T:], buf[1:])
	}
}

// fixedWindows returns n window offsets spread evenly over s (the same at
// every evaluation, so validation losses compare across steps and runs).
func fixedWindows(s Source, n, T int) []int {
	last := s.Len() - T - 1
	offs := make([]int, n)
	for i := range offs {
		if n > 1 {
			offs[i] = int(int64(last) * int64(i) / int64(n-1))
		}
	}
	return offs
}
