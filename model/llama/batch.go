package llama

import (
	"fmt"
	"math"
	"sync"

	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
)

// batchScratch holds the activations of one batched step: the rows of every
// sequence of the batch, one after another.
type batchScratch struct {
	x, xb, xb2, q, att, gate, up, kNew, vNew, last, logits []float32
}

var batchPool = sync.Pool{New: func() any { return new(batchScratch) }}

// ForwardBatch implements model.BatchForwarder: ids[i] runs on seqs[i]. The
// rows of all sequences (nTok = Σ len(ids[i])) go through every weight matrix
// as one [nTok, dim] product, so a decode step of N sequences costs one pass
// over the weights instead of N; RoPE, the KV cache and attention are each
// sequence's own. Each element of a product is computed as in Forward, so
// the logits equal Forward's bit for bit.
func (m *Model) ForwardBatch(seqs []model.Sequence, ids [][]int) ([][]float32, error) {
	ss, err := m.checkBatch(seqs, ids)
	if err != nil {
		return nil, err
	}
	c, w := &m.Config, m.Weights
	b := batchPool.Get().(*batchScratch)
	defer batchPool.Put(b)
	offs, err := m.runLayers(b, ss, ids)
	if err != nil {
		return nil, err
	}
	dim, nSeq := c.Dim, len(ss)
	// last: [nSeq, dim] ← RMSNorm of each sequence's last row; logits: [nSeq, vocab]
	b.last = grow(b.last, nSeq*dim)
	for i := range ss {
		t := offs[i+1] - 1
		kernels.RMSNorm(b.last[i*dim:(i+1)*dim], b.x[t*dim:(t+1)*dim], w.OutputNorm, c.RMSEps)
	}
	b.logits = grow(b.logits, nSeq*c.VocabSize)
	w.Output.mulT(b.logits, b.last, nSeq)
	out := make([][]float32, nSeq)
	var bad error
	for i, s := range ss {
		row := b.logits[i*c.VocabSize : (i+1)*c.VocabSize]
		s.logits = grow(s.logits, c.VocabSize)
		copy(s.logits, row)
		out[i] = s.logits
		if bad != nil {
			continue
		}
		for j, v := range row {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				bad = fmt.Errorf("llama: batch sequence %d: logit %d of position %d is %v", i, j, s.n-1, v)
				break
			}
		}
	}
	if bad != nil {
		return nil, bad
	}
	return out, nil
}

// checkBatch checks a batch before anything runs: sequences of this model,
// each once, and ids that are in the vocabulary and fit the context.
func (m *Model) checkBatch(seqs []model.Sequence, ids [][]int) ([]*Sequence, error) {
	c := &m.Config
	if len(seqs) != len(ids) {
		return nil, fmt.Errorf("llama: ForwardBatch of %d sequences and %d id lists", len(seqs), len(ids))
	}
	if len(seqs) == 0 {
		return nil, fmt.Errorf("llama: ForwardBatch of no sequences")
	}
	ss := make([]*Sequence, len(seqs))
	seen := make(map[*Sequence]bool, len(seqs))
	for i, sq := range seqs {
		s, ok := sq.(*Sequence)
		if !ok || s == nil || s.m != m {
			return nil, fmt.Errorf("llama: ForwardBatch: sequence %d was not made by this model", i)
		}
		if seen[s] {
			return nil, fmt.Errorf("llama: ForwardBatch: sequence %d appears twice", i)
		}
		seen[s] = true
		if len(ids[i]) == 0 {
			return nil, fmt.Errorf("llama: ForwardBatch: no tokens for sequence %d", i)
		}
		if s.n+len(ids[i]) > c.ContextLength {
			return nil, fmt.Errorf("llama: batch sequence %d: %d positions cached + %d new exceed the context length %d: %w", i, s.n, len(ids[i]), c.ContextLength, model.ErrContextFull)
		}
		for j, id := range ids[i] {
			if id < 0 || id >= c.VocabSize {
				return nil, fmt.Errorf("llama: batch sequence %d: token %d at index %d is outside the vocabulary [0, %d)", i, id, j, c.VocabSize)
			}
		}
		ss[i] = s
	}
	return ss, nil
}

// runLayers runs every layer over the rows of all sequences, leaving the
// final hidden states in b.x ([nTok, dim], before the output norm), and
// advances each sequence. Row offsets: sequence i holds rows offs[i]..offs[i+1]-1.
// Everything but the weight products runs per sequence, on the same slices
// Forward would see for the same ids (SwiGLU's vector blocks included).
func (m *Model) runLayers(b *batchScratch, ss []*Sequence, ids [][]int) ([]int, error) {
	c, w := &m.Config, m.Weights
	offs := make([]int, len(ss)+1)
	for i := range ss {
		offs[i+1] = offs[i] + len(ids[i])
	}
	nTok := offs[len(ss)]
	dim, qDim, kvDim, hd, ffn := c.Dim, c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim, c.HeadDim, c.FFNDim
	// each sequence's KV caches (made on first use, as Forward does) and
	// the RoPE angles of its positions, shared by all layers
	half := c.RopeDim / 2
	for i, s := range ss {
		if s.kv == nil {
			kv := make([]*kernels.KVCache, len(w.Layers))
			for il := range kv {
				var err error
				if kv[il], err = kernels.NewKVCache(c.ContextLength, c.NumKVHeads, hd, s.opts.KVF16); err != nil {
					return nil, fmt.Errorf("llama: layer %d: %w", il, err)
				}
			}
			s.kv = kv
		}
		n := offs[i+1] - offs[i]
		s.ropeCos, s.ropeSin = grow(s.ropeCos, n*half), grow(s.ropeSin, n*half)
		kernels.RoPETable(s.ropeCos, s.ropeSin, s.n, c.RopeDim, c.RopeBase, c.RopeFreqScale, w.RopeFreqs)
	}
	b.x, b.xb, b.xb2 = grow(b.x, nTok*dim), grow(b.xb, nTok*dim), grow(b.xb2, nTok*dim)
	b.q, b.att = grow(b.q, nTok*qDim), grow(b.att, nTok*qDim)
	b.kNew, b.vNew = grow(b.kNew, nTok*kvDim), grow(b.vNew, nTok*kvDim)
	b.gate, b.up = grow(b.gate, nTok*ffn), grow(b.up, nTok*ffn)
	x, xb, xb2 := b.x, b.xb, b.xb2
	for i := range ss {
		for j, id := range ids[i] {
			t := offs[i] + j
			w.TokenEmbd.row(x[t*dim:(t+1)*dim], id)
		}
	}
	scale := float32(1 / math.Sqrt(float64(hd)))
	for il := range w.Layers {
		l := &w.Layers[il]
		for t := 0; t < nTok; t++ {
			kernels.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], l.AttnNorm, c.RMSEps)
		}
		// q, k, v of every row: one product per weight
		l.Query.mulT(b.q, xb, nTok)
		l.Key.mulT(b.kNew, xb, nTok)
		l.Value.mulT(b.vNew, xb, nTok)
		if l.QNorm != nil {
			for i := 0; i < nTok*c.NumHeads; i++ {
				kernels.RMSNorm(b.q[i*hd:(i+1)*hd], b.q[i*hd:(i+1)*hd], l.QNorm, c.RMSEps)
			}
			for i := 0; i < nTok*c.NumKVHeads; i++ {
				kernels.RMSNorm(b.kNew[i*hd:(i+1)*hd], b.kNew[i*hd:(i+1)*hd], l.KNorm, c.RMSEps)
			}
		}
		// RoPE, the KV cache and attention: each sequence on its own
		for i, s := range ss {
			t0, t1 := offs[i], offs[i+1]
			q, k, v, att := b.q[t0*qDim:t1*qDim], b.kNew[t0*kvDim:t1*kvDim], b.vNew[t0*kvDim:t1*kvDim], b.att[t0*qDim:t1*qDim]
			n := t1 - t0
			kernels.RoPERotate(q, s.ropeCos, s.ropeSin, n, c.NumHeads, hd, c.RopeDim, c.RopeMode)
			kernels.RoPERotate(k, s.ropeCos, s.ropeSin, n, c.NumKVHeads, hd, c.RopeDim, c.RopeMode)
			if err := s.kv[il].Store(s.n, k, v); err != nil {
				return nil, fmt.Errorf("llama: batch sequence %d, layer %d: %w", i, il, err)
			}
			kernels.AttentionCached(att, q, s.kv[il], s.n, n, c.NumHeads, scale)
		}
		l.AttnOutput.mulT(xb2, b.att, nTok)
		kernels.Add(x[:nTok*dim], xb2[:nTok*dim])
		for t := 0; t < nTok; t++ {
			kernels.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], l.FFNNorm, c.RMSEps)
		}
		l.FFNGate.mulT(b.gate, xb, nTok)
		l.FFNUp.mulT(b.up, xb, nTok)
		for i := range ss {
			g, u := b.gate[offs[i]*ffn:offs[i+1]*ffn], b.up[offs[i]*ffn:offs[i+1]*ffn]
			kernels.SwiGLU(g, g, u)
		}
		l.FFNDown.mulT(xb2, b.gate, nTok)
		kernels.Add(x[:nTok*dim], xb2[:nTok*dim])
	}
	for i, s := range ss {
		s.n += offs[i+1] - offs[i]
	}
	return offs, nil
}

// EmbeddingSize implements model.Embedder: the model width.
func (m *Model) EmbeddingSize() int { return m.Config.Dim }

// Embed implements model.Embedder: ids run on a fresh sequence; the final
// hidden states after the output norm are averaged over the positions and
// the mean is scaled to unit L2 norm (a causal model's mean-pooled
// embedding, as sentence-transformers pools; not a trained embedding model).
func (m *Model) Embed(ids []int) ([]float32, error) {
	s := m.NewSequence(model.SequenceOptions{}).(*Sequence)
	ss, err := m.checkBatch([]model.Sequence{s}, [][]int{ids})
	if err != nil {
		return nil, err
	}
	c, w := &m.Config, m.Weights
	b := batchPool.Get().(*batchScratch)
	defer batchPool.Put(b)
	if _, err := m.runLayers(b, ss, [][]int{ids}); err != nil {
		return nil, err
	}
	dim := c.Dim
	sum := make([]float64, dim)
	row := make([]float32, dim)
	for t := range ids {
		kernels.RMSNorm(row, b.x[t*dim:(t+1)*dim], w.OutputNorm, c.RMSEps)
		for j, v := range row {
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
