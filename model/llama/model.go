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
// qwen3, gpt2) in a model.Registry.
var Archs = func() []model.Arch {
	var as []model.Arch
	for _, n := range archNames() {
		as = append(as, model.Arch{Name: n, Load: load})
	}
	return append(as, model.Arch{Name: ArchGPT2, Load: load})
}()

func load(f *gguf.File) (model.Model, error) { return Load(f) }

// Model is a loaded Llama network. It is read-only and safe for concurrent
// use; each sequence has its own state (NewSequence).
type Model struct {
	Config  Config
	Weights *Weights
	// GPT2, when set, makes the model a GPT-2 (Config.Arch ArchGPT2): see
	// GPT2Weights.
	GPT2 *GPT2Weights
}

// Load reads the configuration and weights of a llama (qwen2, qwen3, gpt2)
// GGUF file. The file must stay open while the model is used: F32 weights
// may be views of it.
func Load(f *gguf.File) (*Model, error) {
	if arch, _ := f.String("general.architecture"); arch == ArchGPT2 {
		m, err := loadGPT2(f)
		if err == nil {
			packWeights(f, m.Weights)
		}
		return m, err
	}
	c, err := ConfigFromGGUF(f)
	if err != nil {
		return nil, err
	}
	w, err := loadWeights(f, &c)
	if err != nil {
		return nil, err
	}
	packWeights(f, w)
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

	rows    rowOps    // Forward's activations
	ropeCos []float32 // [nTok, ropeDim/2]: the rotation angles of this step's positions
	ropeSin []float32
	logits  []float32 // the last logits returned
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
	// logits: [nOut, vocab], nOut = len(ids) (all) or 1: the network on a batch of one sequence
	//   (arrays on the stack: forwardRows keeps neither)
	one, oneIDs := [1]*Sequence{s}, [1][]int{ids}
	logits, err := s.m.forwardRows(&s.rows, one[:], oneIDs[:], all)
	if err != nil {
		return nil, err
	}
	s.logits = logits
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

// firstNonFinite returns the index of the first NaN or ±Inf in v, or -1.
// It tests the exponent bits (all ones: NaN or ±Inf), 8 values per branch,
// since it reads every logit of every decode step (32000 a sequence for a
// Llama-2 vocabulary; the float64 IsNaN/IsInf tests were ~4 % of a server's
// batched step).
func firstNonFinite(v []float32) int {
	const exp = 0x7f800000
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := v[i : i+8 : i+8]
		// The exponent field + 1 carries into bit 31 only when it is all
		// ones; the OR of the 8 sums has bit 31 set iff one of them was.
		e := (math.Float32bits(w[0])&exp + 1<<23) | (math.Float32bits(w[1])&exp + 1<<23) |
			(math.Float32bits(w[2])&exp + 1<<23) | (math.Float32bits(w[3])&exp + 1<<23) |
			(math.Float32bits(w[4])&exp + 1<<23) | (math.Float32bits(w[5])&exp + 1<<23) |
			(math.Float32bits(w[6])&exp + 1<<23) | (math.Float32bits(w[7])&exp + 1<<23)
		if e&(1<<31) != 0 {
			break
		}
	}
	for ; i < len(v); i++ {
		if math.Float32bits(v[i])&exp == exp {
			return i
		}
	}
	return -1
}

// mulTMany computes out1 = X·W1ᵀ, out2 = X·W2ᵀ and, when w3 is not nil,
// out3 = X·W3ᵀ (each + its bias) in one kernels.MatMulMany call: the same
// bits as three Matrix.mulT calls, with X converted once and one hand-off
// to the worker pool. A pending RMSNorm of x's rows (x is its output) runs
// in the products' job.
//
//	X: [nTok, Cols]   → out_i: [nTok, W_i.Rows]
func (r *rowOps) mulTMany(x []float32, nTok int, w1 *Matrix, out1 []float32, w2 *Matrix, out2 []float32, w3 *Matrix, out3 []float32) {
	ms, outs := [3]*Matrix{w1, w2, w3}, [3][]float32{out1, out2, out3}
	n := 2
	if w3 != nil {
		n = 3
	}
	var prep func(lo, hi int)
	if r.normPending && len(x) > 0 && len(r.xb) > 0 && &x[0] == &r.xb[0] {
		prep = r.takeNorm()
	}
	r.mulTPrep(x, nTok, ms[:n], outs[:n], prep)
	r.endNorm()
}

// mulTPrep computes out_i = X·W_iᵀ (+ bias) for the matrices ms in one
// kernels.MatMulManyPrep job, whose goroutines first run prep over X's
// rows (nil: none; a pending step it does not take is computed first).
func (r *rowOps) mulTPrep(x []float32, nTok int, ms []*Matrix, outs [][]float32, prep func(lo, hi int)) {
	for i, m := range ms {
		r.mm[i] = kernels.MatMulOp{Out: outs[i], Type: m.Type, F32: m.F32, Data: m.Data, Packed: m.Packed, Rows: m.Rows}
	}
	r.flushPending()
	kernels.MatMulManyPrep(r.mm[:len(ms)], x, nTok, ms[0].Cols, prep)
	for i, m := range ms {
		m.addBias(outs[i], nTok)
		r.mm[i] = kernels.MatMulOp{}
	}
}
