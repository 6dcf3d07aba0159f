package data

import (
	"fmt"
	"iter"
	"math/rand/v2"
)

// Range is the ids [Start, End) of a Source.
type Range struct{ Start, End int }

// Len is the number of ids in r.
func (r Range) Len() int { return r.End - r.Start }

// Split divides n ids into a training range (the first part) and a
// validation range (the rest: the first int(n·(1−valFrac)) ids train, as
// nanoGPT's prepare.py takes data[:int(n*0.9)] for valFrac 0.1). Both must hold at least one window of
// ctx+1 ids (ctx inputs plus the shifted target); otherwise the error wraps
// ErrTooSmall and says how many ids are needed. valFrac 0 gives an empty
// validation range.
func Split(n int, valFrac float64, ctx int) (train, val Range, err error) {
	if ctx <= 0 {
		return Range{}, Range{}, fmt.Errorf("data: context %d must be positive", ctx)
	}
	if !(valFrac >= 0 && valFrac < 1) {
		return Range{}, Range{}, fmt.Errorf("data: validation fraction %v must be in [0, 1)", valFrac)
	}
	nTrain := int(float64(n) * (1 - valFrac)) // nanoGPT: data[:int(n*0.9)]
	train, val = Range{0, nTrain}, Range{nTrain, n}
	need := ctx + 1
	switch {
	case train.Len() < need:
		return Range{}, Range{}, fmt.Errorf("data: %w: %d training tokens, fewer than one window of %d (context %d + 1); the corpus needs at least %d tokens",
			ErrTooSmall, train.Len(), need, ctx, int(float64(need)/(1-valFrac))+1)
	case valFrac > 0 && val.Len() < need:
		return Range{}, Range{}, fmt.Errorf("data: %w: %d validation tokens (%.0f%% of %d), fewer than one window of %d (context %d + 1); the corpus needs at least %d tokens",
			ErrTooSmall, val.Len(), 100*valFrac, n, need, ctx, int(float64(need)/valFrac)+1)
	}
	return train, val, nil
}

// Batch is B windows of T positions: Inputs[b·T+t] is the id at position t
// of window b and Targets[b·T+t] the id after it.
type Batch struct {
	B, T            int
	Inputs, Targets []int // [B·T] each
}

// NewBatch returns a batch with room for b windows of t positions.
func NewBatch(b, t int) *Batch {
	return &Batch{B: b, T: t, Inputs: make([]int, b*t), Targets: make([]int, b*t)}
}

// fill reads the window of T+1 ids starting at off into row b.
func (bt *Batch) fill(src Source, b, off int, win []int) {
	src.Read(win, off)
	copy(bt.Inputs[b*bt.T:(b+1)*bt.T], win[:bt.T])
	copy(bt.Targets[b*bt.T:(b+1)*bt.T], win[1:])
}

// RandomBatch fills dst with dst.B windows of dst.T+1 ids from r, each
// starting at an offset drawn uniformly from [r.Start, r.End−T−1] with rng
// (nanoGPT's get_batch: torch.randint(len(data) − block_size)). The same
// rng state gives the same batch. r must hold at least one window.
func RandomBatch(dst *Batch, src Source, r Range, rng *rand.Rand) error {
	if err := checkRange(src, r, dst.T); err != nil {
		return err
	}
	if dst.B <= 0 || len(dst.Inputs) < dst.B*dst.T || len(dst.Targets) < dst.B*dst.T {
		return fmt.Errorf("data: batch of %d×%d has buffers of %d and %d ids (use NewBatch)", dst.B, dst.T, len(dst.Inputs), len(dst.Targets))
	}
	win := make([]int, dst.T+1)
	starts := r.Len() - dst.T // offsets 0 … Len−T−1
	for b := 0; b < dst.B; b++ {
		dst.fill(src, b, r.Start+rng.IntN(starts), win)
	}
	return nil
}

// Windows returns the consecutive windows of r for validation: window k
// starts at r.Start + k·T (non-overlapping inputs, every target predicted
// once), grouped into batches of up to b windows (the last batch may be
// smaller; Batch.B says how many). A trailing piece shorter than T+1 ids is
// left out. The yielded batch is reused between iterations.
func Windows(src Source, r Range, b, t int) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		if b <= 0 {
			yield(nil, fmt.Errorf("data: batch size %d must be positive", b))
			return
		}
		if err := checkRange(src, r, t); err != nil {
			yield(nil, err)
			return
		}
		bt := NewBatch(b, t)
		win := make([]int, t+1)
		nWin := (r.Len() - 1) / t
		for k := 0; k < nWin; k += b {
			bt.B = min(b, nWin-k)
			for i := 0; i < bt.B; i++ {
				bt.fill(src, i, r.Start+(k+i)*t, win)
			}
			full := *bt
			full.Inputs, full.Targets = bt.Inputs[:bt.B*t], bt.Targets[:bt.B*t]
			if !yield(&full, nil) {
				return
			}
		}
	}
}

// checkRange checks that r lies in src and holds a window of t+1 ids.
func checkRange(src Source, r Range, t int) error {
	if t <= 0 {
		return fmt.Errorf("data: context %d must be positive", t)
	}
	if r.Start < 0 || r.End > src.Len() || r.Start > r.End {
		return fmt.Errorf("data: range [%d, %d) is outside the %d tokens", r.Start, r.End, src.Len())
	}
	if r.Len() < t+1 {
		return fmt.Errorf("data: %w: range of %d tokens is shorter than one window of %d (context %d + 1)", ErrTooSmall, r.Len(), t+1, t)
	}
	return nil
}
