package llama

import (
	"fmt"
	"math"
	"sync"

	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/tensor"
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
	offs := m.runLayers(b, ss, ids)
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
func (m *Model) runLayers(b *batchScratch, ss []*Sequence, ids [][]int) []int {
	c, w := &m.Config, m.Weights
	offs := make([]int, len(ss)+1)
	for i := range ss {
		offs[i+1] = offs[i] + len(ids[i])
	}
	nTok := offs[len(ss)]
	dim, qDim, kvDim, hd := c.Dim, c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim, c.HeadDim
	b.x, b.xb, b.xb2 = grow(b.x, nTok*dim), grow(b.xb, nTok*dim), grow(b.xb2, nTok*dim)
	b.q, b.att = grow(b.q, nTok*qDim), grow(b.att, nTok*qDim)
	b.kNew, b.vNew = grow(b.kNew, nTok*kvDim), grow(b.vNew, nTok*kvDim)
	b.gate, b.up = grow(b.gate, nTok*c.FFNDim), grow(b.up, nTok*c.FFNDim)
	x, xb, xb2 := b.x, b.xb, b.xb2
	for i := range ss {
		for j, id := range ids[i] {
			t := offs[i] + j
			w.TokenEmbd.row(x[t*dim:(t+1)*dim], id)
		}
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		for t := 0; t < nTok; t++ {
			kernels.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], l.AttnNorm, c.RMSEps)
		}
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
		for i, s := range ss {
			t0, t1 := offs[i], offs[i+1]
			s.attend(il, b.att[t0*qDim:t1*qDim], b.q[t0*qDim:t1*qDim], b.kNew[t0*kvDim:t1*kvDim], b.vNew[t0*kvDim:t1*kvDim], t1-t0)
		}
		l.AttnOutput.mulT(xb2, b.att, nTok)
		kernels.Add(x[:nTok*dim], xb2[:nTok*dim])
		for t := 0; t < nTok; t++ {
			kernels.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], l.FFNNorm, c.RMSEps)
		}
		l.FFNGate.mulT(b.gate, xb, nTok)
		l.FFNUp.mulT(b.up, xb, nTok)
		kernels.SwiGLU(b.gate, b.gate, b.up)
		l.FFNDown.mulT(xb2, b.gate, nTok)
		kernels.Add(x[:nTok*dim], xb2[:nTok*dim])
	}
	for i, s := range ss {
		s.n += offs[i+1] - offs[i]
	}
	return offs
}

// attend is one layer's attention for nTok of the sequence's tokens at
// positions s.n..: it rotates q and k by their positions, appends k and v to
// the layer's cache and writes the causal attention of each token into att,
// exactly as Forward does.
//
//	q, att: [nTok, nHeads·headDim]   k, v: [nTok, nKVHeads·headDim]
func (s *Sequence) attend(il int, att, q, k, v []float32, nTok int) {
	c, w := &s.m.Config, s.m.Weights
	pos0, qDim, kvDim, hd := s.n, c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim, c.HeadDim
	if s.k == nil {
		s.k, s.v = make([][]float32, c.NumLayers), make([][]float32, c.NumLayers)
	}
	for t := 0; t < nTok; t++ {
		qt, kt := q[t*qDim:(t+1)*qDim], k[t*kvDim:(t+1)*kvDim]
		if w.RopeFreqs != nil {
			kernels.RoPEFactors(qt, c.NumHeads, hd, c.RopeDim, pos0+t, c.RopeBase, c.RopeFreqScale, w.RopeFreqs, c.RopeMode)
			kernels.RoPEFactors(kt, c.NumKVHeads, hd, c.RopeDim, pos0+t, c.RopeBase, c.RopeFreqScale, w.RopeFreqs, c.RopeMode)
			continue
		}
		kernels.RoPE(qt, c.NumHeads, hd, c.RopeDim, pos0+t, c.RopeBase, c.RopeFreqScale, c.RopeMode)
		kernels.RoPE(kt, c.NumKVHeads, hd, c.RopeDim, pos0+t, c.RopeBase, c.RopeFreqScale, c.RopeMode)
	}
	if s.opts.KVF16 {
		tensor.RoundF16(k)
		tensor.RoundF16(v)
	}
	s.k[il] = append(s.k[il][:pos0*kvDim], k...)
	s.v[il] = append(s.v[il][:pos0*kvDim], v...)
	s.scores = grow(s.scores, pos0+nTok)
	scale := float32(1 / math.Sqrt(float64(hd)))
	for t := 0; t < nTok; t++ {
		kernels.Attention(att[t*qDim:(t+1)*qDim], q[t*qDim:(t+1)*qDim], s.k[il], s.v[il], s.scores,
			pos0+t+1, c.NumHeads, c.NumKVHeads, hd, scale)
	}
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
	m.runLayers(b, ss, [][]int{ids})
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
