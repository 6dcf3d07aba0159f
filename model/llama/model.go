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

	rows    rowScratch // Forward's activations
	ropeCos []float32  // [nTok, ropeDim/2]: the rotation angles of this step's positions
	ropeSin []float32
	logits  []float32 // the last logits returned
}

// rowScratch holds the activations of one step over nTok rows: the rows of
// every sequence of the step, one after another (sequence i holds rows
// offs[i]..offs[i+1]-1). Each buffer is sized for the largest step so far.
type rowScratch struct {
	offs                                     []int
	x, xb, xb2, q, att, gate, up, kNew, vNew []float32
	ops                                      [3]kernels.MatMulOp // mulTMany's products
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
// It is ForwardBatch of one sequence, on the sequence's own scratch.
func (s *Sequence) Forward(ids []int, all bool) ([]float32, error) {
	c := &s.m.Config
	if len(ids) == 0 {
		return nil, fmt.Errorf("llama: Forward of no tokens")
	}
	if err := checkIDs(c, s.n, ids); err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	// a batch of one sequence (arrays on the stack: forwardRows keeps neither)
	one, oneIDs := [1]*Sequence{s}, [1][]int{ids}
	if err := s.m.forwardRows(&s.rows, one[:], oneIDs[:]); err != nil {
		return nil, err
	}
	// logits: [nOut, vocab], nOut = nTok (all) or 1
	s.logits = s.m.outputLogits(s.logits, &s.rows, all)
	if i := firstNonFinite(s.logits); i >= 0 {
		nOut := len(s.logits) / c.VocabSize
		return nil, fmt.Errorf("llama: logit %d of position %d is %v", i%c.VocabSize, s.n-nOut+i/c.VocabSize, s.logits[i])
	}
	return s.logits, nil
}

// checkIDs checks ids to run after n cached positions: they fit the context
// (else an error wrapping model.ErrContextFull) and are in the vocabulary.
func checkIDs(c *Config, n int, ids []int) error {
	if n+len(ids) > c.ContextLength {
		return fmt.Errorf("%d positions cached + %d new exceed the context length %d: %w", n, len(ids), c.ContextLength, model.ErrContextFull)
	}
	for i, id := range ids {
		if id < 0 || id >= c.VocabSize {
			return fmt.Errorf("token %d at index %d is outside the vocabulary [0, %d)", id, i, c.VocabSize)
		}
	}
	return nil
}

// forwardRows runs the token embedding and every transformer block over the
// rows of all sequences ss (ids[i], at least one each, runs on ss[i] at its
// positions ss[i].Len()..), leaving the final hidden states in r.x ([nTok,
// dim], before the output norm), and advances each sequence. The weight
// products take every row at once, so N sequences cost one pass over the
// weights; RoPE, the KV cache, attention and SwiGLU run per sequence, on the
// slices a step of that sequence alone would see, so each sequence's rows
// are bit-identical to running it alone. The ids must have been checked
// (checkIDs); a sequence's KV cache is made here on first use.
func (m *Model) forwardRows(r *rowScratch, ss []*Sequence, ids [][]int) error {
	c, w := &m.Config, m.Weights
	dim, qDim, kvDim, hd, ffn := c.Dim, c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim, c.HeadDim, c.FFNDim
	// offs: [nSeq+1] ← where each sequence's rows start
	if cap(r.offs) < len(ss)+1 {
		r.offs = make([]int, len(ss)+1)
	}
	offs := r.offs[:len(ss)+1]
	offs[0] = 0
	for i := range ss {
		offs[i+1] = offs[i] + len(ids[i])
	}
	nTok := offs[len(ss)]
	// each sequence's KV caches: [nLayers] of [contextLength, kvDim] (f16 halves with KVF16);
	// ropeCos, ropeSin: [len(ids[i]), ropeDim/2] ← the rotation angles of its positions, shared by all layers
	half := c.RopeDim / 2
	for i, s := range ss {
		if s.kv == nil {
			kv := make([]*kernels.KVCache, len(w.Layers))
			for il := range kv {
				var err error
				if kv[il], err = kernels.NewKVCache(c.ContextLength, c.NumKVHeads, hd, s.opts.KVF16); err != nil {
					return fmt.Errorf("llama: layer %d: %w", il, err)
				}
			}
			s.kv = kv
		}
		n := offs[i+1] - offs[i]
		s.ropeCos, s.ropeSin = grow(s.ropeCos, n*half), grow(s.ropeSin, n*half)
		kernels.RoPETable(s.ropeCos, s.ropeSin, s.n, c.RopeDim, c.RopeBase, c.RopeFreqScale, w.RopeFreqs)
	}
	r.x, r.xb, r.xb2 = grow(r.x, nTok*dim), grow(r.xb, nTok*dim), grow(r.xb2, nTok*dim)
	r.q, r.att = grow(r.q, nTok*qDim), grow(r.att, nTok*qDim)
	r.kNew, r.vNew = grow(r.kNew, nTok*kvDim), grow(r.vNew, nTok*kvDim)
	r.gate, r.up = grow(r.gate, nTok*ffn), grow(r.up, nTok*ffn)
	x, xb, xb2 := r.x, r.xb, r.xb2
	scale := float32(1 / math.Sqrt(float64(hd)))

	// x: [nTok, dim] ← rows of the token embedding
	for i := range ss {
		for j, id := range ids[i] {
			t := offs[i] + j
			w.TokenEmbd.row(x[t*dim:(t+1)*dim], id)
		}
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		// xb: [nTok, dim] ← RMSNorm(x)·attn_norm
		for t := 0; t < nTok; t++ {
			kernels.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], l.AttnNorm, c.RMSEps)
		}
		// q: [nTok, nHeads·headDim], k, v: [nTok, nKVHeads·headDim] ← xb·Wᵀ (+ bias: Qwen2)
		//   (one kernels.MatMulMany: xb converted once, one parallel loop over all three)
		r.mulTMany(xb, nTok, &l.Query, r.q, &l.Key, r.kNew, &l.Value, r.vNew)
		// Qwen3: RMS-normalize every query and key head: [headDim] each
		if l.QNorm != nil {
			for i := 0; i < nTok*c.NumHeads; i++ {
				kernels.RMSNorm(r.q[i*hd:(i+1)*hd], r.q[i*hd:(i+1)*hd], l.QNorm, c.RMSEps)
			}
			for i := 0; i < nTok*c.NumKVHeads; i++ {
				kernels.RMSNorm(r.kNew[i*hd:(i+1)*hd], r.kNew[i*hd:(i+1)*hd], l.KNorm, c.RMSEps)
			}
		}
		// each sequence on its own, rows t0..t1-1 (n of them) at positions s.n..s.n+n-1:
		for i, s := range ss {
			t0, t1 := offs[i], offs[i+1]
			n := t1 - t0
			q, k, v, att := r.q[t0*qDim:t1*qDim], r.kNew[t0*kvDim:t1*kvDim], r.vNew[t0*kvDim:t1*kvDim], r.att[t0*qDim:t1*qDim]
			// q: [n, nHeads·headDim], k: [n, nKVHeads·headDim] ← rotated by their positions
			kernels.RoPERotate(q, s.ropeCos, s.ropeSin, n, c.NumHeads, hd, c.RopeDim, c.RopeMode)
			kernels.RoPERotate(k, s.ropeCos, s.ropeSin, n, c.NumKVHeads, hd, c.RopeDim, c.RopeMode)
			// KV cache of layer il: [s.n+n, kvDim] ← k, v appended
			if err := s.kv[il].Store(s.n, k, v); err != nil {
				return fmt.Errorf("llama: batch sequence %d, layer %d: %w", i, il, err)
			}
			// att: [n, nHeads·headDim] ← causal attention of row t over positions 0..s.n+t
			kernels.AttentionCached(att, q, s.kv[il], s.n, n, c.NumHeads, scale)
		}
		// x += att·Woᵀ   [nTok, dim]
		l.AttnOutput.mulT(xb2, r.att, nTok)
		kernels.Add(x, xb2)
		// xb: [nTok, dim] ← RMSNorm(x)·ffn_norm
		for t := 0; t < nTok; t++ {
			kernels.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], l.FFNNorm, c.RMSEps)
		}
		// gate, up: [nTok, ffnDim] ← xb·Wᵀ (one kernels.MatMulMany)
		r.mulTMany(xb, nTok, &l.FFNGate, r.gate, &l.FFNUp, r.up, nil, nil)
		// gate: [nTok, ffnDim] ← SiLU(gate)⊙up, per sequence (SwiGLU's vector
		// blocks then span the same rows as in a step of the sequence alone)
		for i := range ss {
			g, u := r.gate[offs[i]*ffn:offs[i+1]*ffn], r.up[offs[i]*ffn:offs[i+1]*ffn]
			kernels.SwiGLU(g, g, u)
		}
		// x += gate·Wdownᵀ   [nTok, dim]
		l.FFNDown.mulT(xb2, r.gate, nTok)
		kernels.Add(x, xb2)
	}
	for i, s := range ss {
		s.n += offs[i+1] - offs[i]
	}
	return nil
}

// outputLogits applies the output head to the hidden states r.x left by
// forwardRows: every row when all is set, else the last row of each
// sequence; it returns the logits in out (grown as needed).
//
//	x: [nTok, dim]   → logits: [nOut, vocab], nOut = nTok (all) or nSeq
func (m *Model) outputLogits(out []float32, r *rowScratch, all bool) []float32 {
	c, w := &m.Config, m.Weights
	dim, nSeq := c.Dim, len(r.offs)-1
	nOut := nSeq
	if all {
		nOut = r.offs[nSeq]
	}
	// xb: [nOut, dim] ← RMSNorm of the chosen rows of x·output_norm
	for k := 0; k < nOut; k++ {
		t := k
		if !all {
			t = r.offs[k+1] - 1
		}
		kernels.RMSNorm(r.xb[k*dim:(k+1)*dim], r.x[t*dim:(t+1)*dim], w.OutputNorm, c.RMSEps)
	}
	// logits: [nOut, vocab] ← xb·Woutᵀ
	out = grow(out, nOut*c.VocabSize)
	w.Output.mulT(out, r.xb[:nOut*dim], nOut)
	return out
}

// firstNonFinite returns the index of the first NaN or ±Inf in v, or -1.
func firstNonFinite(v []float32) int {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}

// mulTMany computes out1 = X·W1ᵀ, out2 = X·W2ᵀ and, when w3 is not nil,
// out3 = X·W3ᵀ (each + its bias) in one kernels.MatMulMany call: the same
// bits as three Matrix.mulT calls, with X converted once and one hand-off
// to the worker pool.
//
//	X: [nTok, Cols]   → out_i: [nTok, W_i.Rows]
func (r *rowScratch) mulTMany(x []float32, nTok int, w1 *Matrix, out1 []float32, w2 *Matrix, out2 []float32, w3 *Matrix, out3 []float32) {
	ms, outs := [3]*Matrix{w1, w2, w3}, [3][]float32{out1, out2, out3}
	n := 2
	if w3 != nil {
		n = 3
	}
	for i := 0; i < n; i++ {
		m := ms[i]
		r.ops[i] = kernels.MatMulOp{Out: outs[i], Type: m.Type, F32: m.F32, Data: m.Data, Rows: m.Rows}
	}
	kernels.MatMulMany(r.ops[:n], x, nTok, w1.Cols)
	for i := 0; i < n; i++ {
		if b := ms[i].Bias; b != nil {
			for t := 0; t < nTok; t++ {
				kernels.Add(outs[i][t*ms[i].Rows:(t+1)*ms[i].Rows], b)
			}
		}
		r.ops[i] = kernels.MatMulOp{}
	}
}
