package llama

import (
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
)

// Arch registers the llama architecture in a model.Registry.
var Arch = model.Arch{Name: ArchName, Load: load}

// Archs registers every architecture this package runs (llama, qwen2,
// qwen3) in a model.Registry.
var Archs = func() []model.Arch {
	var as []model.Arch
	for _, n := range archNames() {
		as = append(as, model.Arch{Name: n, Load: load})
	}
	return as
}()

func load(f *gguf.File) (model.Model, error) { return Load(f) }

// Model is a loaded Llama network. It is read-only and safe for concurrent
// use; each sequence has its own state (NewSequence).
type Model struct {
	Config  Config
	Weights *Weights
}

// Load reads the configuration and weights of a llama GGUF file. The file
// must stay open while the model is used: F32 weights may be views of it.
func Load(f *gguf.File) (*Model, error) {
	c, err := ConfigFromGGUF(f)
	if err != nil {
		return nil, err
	}
	w, err := loadWeights(f, &c)
	if err != nil {
		return nil, err
	}
	return &Model{Config: c, Weights: w}, nil
}

// Arch implements model.Model.
func (m *Model) Arch() string {
	if m.Config.Arch == "" {
		return ArchName
	}
	return m.Config.Arch
}

// ContextLength implements model.Model.
func (m *Model) ContextLength() int { return m.Config.ContextLength }

// VocabSize implements model.Model.
func (m *Model) VocabSize() int { return m.Config.VocabSize }

// NewSequence implements model.Model.
func (m *Model) NewSequence(opts model.SequenceOptions) model.Sequence {
	return &Sequence{m: m, opts: opts}
}

// Sequence is one sequence's KV cache and scratch buffers.
type Sequence struct {
	m    *Model
	opts model.SequenceOptions
	n    int                // positions cached
	kv   []*kernels.KVCache // per layer: keys and values of positions 0..n-1, made by the first Forward

	ops [3]kernels.MatMulOp // mulTMany's products

	// scratch, sized for the largest batch so far
	x, xb, xb2, q, att, gate, up, kNew, vNew, ropeCos, ropeSin, logits []float32
}

// KVBytes returns the memory the sequence's KV cache holds.
func (s *Sequence) KVBytes() int {
	n := 0
	for _, c := range s.kv {
		n += c.Bytes()
	}
	return n
}

// Len implements model.Sequence.
func (s *Sequence) Len() int { return s.n }

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// Forward implements model.Sequence: it runs ids at positions Len().. and
// returns the logits of every position ([len(ids), vocab]) or only the last.
func (s *Sequence) Forward(ids []int, all bool) ([]float32, error) {
	c, w := &s.m.Config, s.m.Weights
	nTok, pos0 := len(ids), s.n
	if nTok == 0 {
		return nil, fmt.Errorf("llama: Forward of no tokens")
	}
	if pos0+nTok > c.ContextLength {
		return nil, fmt.Errorf("llama: %d positions cached + %d new exceed the context length %d: %w", pos0, nTok, c.ContextLength, model.ErrContextFull)
	}
	for i, id := range ids {
		if id < 0 || id >= c.VocabSize {
			return nil, fmt.Errorf("llama: token %d at index %d is outside the vocabulary [0, %d)", id, i, c.VocabSize)
		}
	}
	dim, qDim, kvDim, hd := c.Dim, c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim, c.HeadDim
	s.x, s.xb, s.xb2 = grow(s.x, nTok*dim), grow(s.xb, nTok*dim), grow(s.xb2, nTok*dim)
	s.q, s.att = grow(s.q, nTok*qDim), grow(s.att, nTok*qDim)
	s.kNew, s.vNew = grow(s.kNew, nTok*kvDim), grow(s.vNew, nTok*kvDim)
	s.gate, s.up = grow(s.gate, nTok*c.FFNDim), grow(s.up, nTok*c.FFNDim)
	if s.kv == nil {
		s.kv = make([]*kernels.KVCache, len(w.Layers))
		for il := range s.kv {
			kv, err := kernels.NewKVCache(c.ContextLength, c.NumKVHeads, hd, s.opts.KVF16)
			if err != nil {
				return nil, fmt.Errorf("llama: layer %d: %w", il, err)
			}
			s.kv[il] = kv
		}
	}
	x, xb, xb2 := s.x, s.xb, s.xb2
	scale := float32(1 / math.Sqrt(float64(hd)))
	// ropeCos, ropeSin: [nTok, ropeDim/2] ← the rotation angles of positions pos0.., shared by all layers
	half := c.RopeDim / 2
	s.ropeCos, s.ropeSin = grow(s.ropeCos, nTok*half), grow(s.ropeSin, nTok*half)
	kernels.RoPETable(s.ropeCos, s.ropeSin, pos0, c.RopeDim, c.RopeBase, c.RopeFreqScale, w.RopeFreqs)

	// x: [nTok, dim] ← rows of the token embedding
	for t, id := range ids {
		w.TokenEmbd.row(x[t*dim:(t+1)*dim], id)
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		// xb: [nTok, dim] ← RMSNorm(x)·attn_norm
		for t := 0; t < nTok; t++ {
			kernels.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], l.AttnNorm, c.RMSEps)
		}
		// q: [nTok, nHeads·headDim], k, v: [nTok, nKVHeads·headDim] ← xb·Wᵀ
		//   (one kernels.MatMulMany: xb converted once, one parallel loop over all three)
		s.mulTMany(xb, nTok, &l.Query, s.q, &l.Key, s.kNew, &l.Value, s.vNew)
		// Qwen3: RMS-normalize every query and key head: [headDim] each
		if l.QNorm != nil {
			for i := 0; i < nTok*c.NumHeads; i++ {
				kernels.RMSNorm(s.q[i*hd:(i+1)*hd], s.q[i*hd:(i+1)*hd], l.QNorm, c.RMSEps)
			}
			for i := 0; i < nTok*c.NumKVHeads; i++ {
				kernels.RMSNorm(s.kNew[i*hd:(i+1)*hd], s.kNew[i*hd:(i+1)*hd], l.KNorm, c.RMSEps)
			}
		}
		// rotate q and k by their positions pos0+t
		kernels.RoPERotate(s.q, s.ropeCos, s.ropeSin, nTok, c.NumHeads, hd, c.RopeDim, c.RopeMode)
		kernels.RoPERotate(s.kNew, s.ropeCos, s.ropeSin, nTok, c.NumKVHeads, hd, c.RopeDim, c.RopeMode)
		// KV cache of layer il: [pos0+nTok, kvDim] (f16 halves with KVF16)
		if err := s.kv[il].Store(pos0, s.kNew, s.vNew); err != nil {
			return nil, fmt.Errorf("llama: layer %d: %w", il, err)
		}
		// att: [nTok, nHeads·headDim] ← causal attention of token t over positions 0..pos0+t
		kernels.AttentionCached(s.att, s.q, s.kv[il], pos0, nTok, c.NumHeads, scale)
		// x += att·Woᵀ   [nTok, dim]
		l.AttnOutput.mulT(xb2, s.att, nTok)
		kernels.Add(x, xb2)
		// xb ← RMSNorm(x)·ffn_norm; gate, up: [nTok, ffnDim]; x += (SiLU(gate)⊙up)·Wdownᵀ
		for t := 0; t < nTok; t++ {
			kernels.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], l.FFNNorm, c.RMSEps)
		}
		s.mulTMany(xb, nTok, &l.FFNGate, s.gate, &l.FFNUp, s.up, nil, nil)
		kernels.SwiGLU(s.gate, s.gate, s.up)
		l.FFNDown.mulT(xb2, s.gate, nTok)
		kernels.Add(x, xb2)
	}
	s.n = pos0 + nTok

	// logits: [nOut, vocab] ← RMSNorm(x)·output_norm·Woutᵀ, for every token or the last
	first := 0
	if !all {
		first = nTok - 1
	}
	nOut := nTok - first
	for t := first; t < nTok; t++ {
		kernels.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], w.OutputNorm, c.RMSEps)
	}
	s.logits = grow(s.logits, nOut*c.VocabSize)
	w.Output.mulT(s.logits, xb[first*dim:nTok*dim], nOut)
	for i, v := range s.logits {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("llama: logit %d of position %d is %v", i%c.VocabSize, pos0+first+i/c.VocabSize, v)
		}
	}
	return s.logits, nil
}

// mulTMany computes out1 = X·W1ᵀ, out2 = X·W2ᵀ and, when w3 is not nil,
// out3 = X·W3ᵀ (each + its bias) in one kernels.MatMulMany call: the same
// bits as three Matrix.mulT calls, with X converted once and one hand-off
// to the worker pool.
//
//	X: [nTok, Cols]   → out_i: [nTok, W_i.Rows]
func (s *Sequence) mulTMany(x []float32, nTok int, w1 *Matrix, out1 []float32, w2 *Matrix, out2 []float32, w3 *Matrix, out3 []float32) {
	ms, outs := [3]*Matrix{w1, w2, w3}, [3][]float32{out1, out2, out3}
	n := 2
	if w3 != nil {
		n = 3
	}
	for i := 0; i < n; i++ {
		m := ms[i]
		s.ops[i] = kernels.MatMulOp{Out: outs[i], Type: m.Type, F32: m.F32, Data: m.Data, Rows: m.Rows}
	}
	kernels.MatMulMany(s.ops[:n], x, nTok, w1.Cols)
	for i := 0; i < n; i++ {
		if b := ms[i].Bias; b != nil {
			for t := 0; t < nTok; t++ {
				kernels.Add(outs[i][t*ms[i].Rows:(t+1)*ms[i].Rows], b)
			}
		}
		s.ops[i] = kernels.MatMulOp{}
	}
}
