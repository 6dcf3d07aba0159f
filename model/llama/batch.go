package llama

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
)

// batchPool holds the scratch (activations and logits) of ForwardBatch and
// Embed calls.
var batchPool = sync.Pool{New: func() any { return new(rowOps) }}

// ForwardBatch implements model.BatchForwarder: ids[i] runs on seqs[i]. The
// rows of all sequences (nTok = Σ len(ids[i])) go through every weight matrix
// as one [nTok, dim] product, so a decode step of N sequences costs one pass
// over the weights instead of N; RoPE, the KV cache and attention are each
// sequence's own. It runs the same code as Forward (forwardRows), so the
// logits equal Forward's bit for bit.
func (m *Model) ForwardBatch(seqs []model.Sequence, ids [][]int) ([][]float32, error) {
	out, _, err := m.forwardBatch(seqs, ids, nil)
	return out, err
}

// ForwardBatchGreedy implements model.GreedyBatchForwarder: ForwardBatch,
// and for every sequence i with want[i] set the index of its largest logit
// (the lowest of equal ones), found in the same per-sequence pass on the
// worker pool that copies and checks its logits.
func (m *Model) ForwardBatchGreedy(seqs []model.Sequence, ids [][]int, want []bool) ([][]float32, []int, error) {
	if want != nil && len(want) != len(seqs) {
		return nil, nil, fmt.Errorf("llama: ForwardBatchGreedy of %d sequences and %d greedy flags", len(seqs), len(want))
	}
	return m.forwardBatch(seqs, ids, want)
}

// forwardBatch is ForwardBatch, with the greedy ids of the sequences
// flagged in want (nil: none, and no greedy slice).
func (m *Model) forwardBatch(seqs []model.Sequence, ids [][]int, want []bool) ([][]float32, []int, error) {
	b := batchPool.Get().(*rowOps)
	defer batchPool.Put(b)
	ss, err := m.checkBatch(b.batch[:0], seqs, ids)
	b.batch = ss
	defer func() {
		clear(b.batch)
		b.batch = b.batch[:0]
	}()
	if err != nil {
		return nil, nil, err
	}
	// logits: [nSeq, vocab] ← the network, with the output head on each sequence's last row
	logits, err := m.forwardRows(b, ss, ids, false)
	if err != nil {
		return nil, nil, err
	}
	// each sequence's logits copied and checked (and its greedy id found
	// where wanted), on the worker pool (a row of 32000 logits is ~10 µs
	// of copying and scanning)
	out := make([][]float32, len(ss))
	var greedy []int
	if want != nil {
		greedy = make([]int, len(ss))
	}
	b.bad = append(b.bad[:0], make([]int, len(ss))...)
	b.headOut, b.seqOut, b.want, b.greedy = logits, out, want, greedy
	if b.logitFn == nil {
		b.logitFn = b.seqLogits
	}
	kernels.Parallel(len(ss), b.logitFn)
	b.headOut, b.seqOut, b.want, b.greedy = nil, nil, nil, nil
	for i, s := range ss {
		if j := b.bad[i]; j >= 0 {
			return nil, nil, fmt.Errorf("llama: batch sequence %d: logit %d of position %d is %v", i, j, s.n-1, s.logits[j])
		}
	}
	return out, greedy, nil
}

// seqLogits is ForwardBatch's work for sequence i (r.batch[i]): its
// logits, row i of headOut, copied to its own buffer (seqOut[i]), and
// bad[i] the first that is not finite (-1: none); with want[i] set,
// greedy[i] ← the index of the largest (-1 when one is not finite).
func (r *rowOps) seqLogits(i int) {
	s, vocab := r.batch[i], r.m.Config.VocabSize
	// s.logits: [vocab] ← row i, which stays the sequence's own
	row := r.headOut[i*vocab : (i+1)*vocab]
	s.logits = grow(s.logits, vocab)
	copy(s.logits, row)
	r.seqOut[i] = s.logits
	r.bad[i] = firstNonFinite(row)
	if r.greedy != nil {
		r.greedy[i] = -1
		if r.want[i] && r.bad[i] < 0 {
			if j, ok := kernels.ArgmaxFinite(row); ok {
				r.greedy[i] = j
			}
		}
	}
}

// checkBatch checks a batch before anything runs: sequences of this model,
// each once, and ids that are in the vocabulary and fit the context. It
// returns the sequences appended to ss[:0] (scratch the caller keeps, so
// that a decode step does not allocate them, and clears after the step),
// on error those checked so far.
func (m *Model) checkBatch(ss []*Sequence, seqs []model.Sequence, ids [][]int) ([]*Sequence, error) {
	ss = ss[:0]
	if len(seqs) != len(ids) {
		return ss, fmt.Errorf("llama: ForwardBatch of %d sequences and %d id lists", len(seqs), len(ids))
	}
	if len(seqs) == 0 {
		return ss, fmt.Errorf("llama: ForwardBatch of no sequences")
	}
	// Duplicates: a map only for large batches (a decode step's few
	// sequences are compared pairwise without allocating).
	var seen map[*Sequence]bool
	if len(seqs) > 32 {
		seen = make(map[*Sequence]bool, len(seqs))
	}
	for i, sq := range seqs {
		s, ok := sq.(*Sequence)
		if !ok || s == nil || s.m != m {
			return ss, fmt.Errorf("llama: ForwardBatch: sequence %d was not made by this model", i)
		}
		dup := false
		if seen != nil {
			dup, seen[s] = seen[s], true
		} else {
			dup = slices.Contains(ss, s)
		}
		if dup {
			return ss, fmt.Errorf("llama: ForwardBatch: sequence %d appears twice", i)
		}
		if len(ids[i]) == 0 {
			return ss, fmt.Errorf("llama: ForwardBatch: no tokens for sequence %d", i)
		}
		if err := checkIDs(&m.Config, s.n, ids[i]); err != nil {
			return ss, fmt.Errorf("llama: batch sequence %d: %w", i, err)
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// EmbeddingSize implements model.Embedder: the model width.
func (m *Model) EmbeddingSize() int { return m.Config.Dim }

// Embed implements model.Embedder: ids run on a fresh sequence; the final
// hidden states after the output norm are averaged over the positions and
// the mean is scaled to unit L2 norm (a causal model's mean-pooled
// embedding, as sentence-transformers pools; not a trained embedding model).
func (m *Model) Embed(ids []int) ([]float32, error) {
	s := m.NewSequence(model.SequenceOptions{}).(*Sequence)
	ss, err := m.checkBatch(nil, []model.Sequence{s}, [][]int{ids})
	if err != nil {
		return nil, err
	}
	b := batchPool.Get().(*rowOps)
	defer batchPool.Put(b)
	// h: [len(ids), dim] ← the final hidden states after the output norm
	h, err := m.hiddenRows(b, ss, [][]int{ids})
	if err != nil {
		return nil, err
	}
	dim := m.Config.Dim
	sum := make([]float64, dim)
	for t := range ids {
		for j, v := range h[t*dim : (t+1)*dim] {
			sum[j] += float64(v)
		}
	}
	var norm float64
	for j := range sum {
		sum[j] /= float64(len(ids))
		norm += sum[j] * sum[j]
	}
	norm = math.Sqrt(norm)
	out := make([]float32, dim)
	for j, v := range sum {
		if norm > 0 {
			v /= norm
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("llama: embedding element %d is %v", j, v)
		}
		out[j] = float32(v)
	}
	return out, nil
}
