package llama

import (
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/kernels"
)

// rowOps is the runtime's backend of the network definition (Ops, net.go):
// one step over nTok rows, the rows of every sequence of the step one after
// another (sequence i holds rows offs[i]..offs[i+1]-1, ids[i], at its
// positions ss[i].Len()..). The weight products take every row at once, so
// N sequences cost one pass over the weights; RoPE, the KV cache, attention
// and SwiGLU run per sequence, on the slices a step of that sequence alone
// would see, so each sequence's rows are bit-identical to running it alone.
// Steps compute into the scratch buffers below (each sized for the largest
// step so far) and return them.
type rowOps struct {
	m     *Model
	ss    []*Sequence // the step's sequences (cleared after the step)
	ids   [][]int     // their ids
	all   bool        // HeadRows: every row, else the last row of each sequence
	err   error       // the first KV cache error of the step
	batch []*Sequence // ForwardBatch's checked sequences (scratch, cleared after the step)

	offs                                     []int
	x, xb, xb2, q, att, gate, up, kNew, vNew []float32
	logits                                   []float32           // Head's output
	mm                                       [3]kernels.MatMulOp // mulTMany's products
	attn                                     kernels.AttentionBatch

	// Per-row and per-sequence work of a batch runs on the worker pool
	// (kernels.Parallel) through these method values, bound once so that
	// a step allocates no closures, on the operands below.
	normFn, gluFn, prepFn func(i int)
	normX, normG          []float32 // RMSNorm's input rows and weights
	gluGate, gluUp        []float32 // SwiGLU's operands
	ropeQ, ropeK          []float32 // RoPE's operands, rotated in Attention's per-sequence pass
	prepK, prepV          []float32 // the new keys and values Attention stores
	prepIL                int       // the block Attention stores into
	prepErr               []error   // per sequence: its KV cache store failed

	// normPending: RMSNorm left its rows (of normX by normG, into xb) to
	// the block's next product, QKV or GateUp, whose job on the pool
	// computes them (normRowsFn) before it converts them: one hand-off
	// less each. Any other step computes them first (flushNorm).
	normPending bool
	normRowsFn  func(lo, hi int)
	// gluPending: SwiGLU of a decode step (one row a sequence) left to
	// the FFN down product's job (gluRowsFn), as normPending.
	gluPending bool
	gluRowsFn  func(lo, hi int)

	// ForwardBatch's per-sequence logits pass (seqLogits)
	logitFn func(i int)
	headOut []float32   // Head's output, [nSeq, vocab]
	seqOut  [][]float32 // the sequences' logits
	bad     []int       // per sequence: its first logit that is not finite, or -1
	want    []bool      // per sequence: find its greedy id (nil: none)
	greedy  []int       // per sequence: its greedy id where wanted, else -1
}

// parallelElems is the fewest elements (rows × width) of a batch's
// per-row work (RMSNorm, SwiGLU, RoPE and the KV cache stores) that run
// on the worker pool, one piece per row or sequence: a row of RMSNorm is
// ~1 µs of float64 sums at a width of 768, a hand-off to a spinning worker
// well under that. Smaller work (a single sequence's decode step, tiny
// models) runs in order on the caller. Either way each row or sequence is
// computed whole by the same code, so the bits do not change.
const parallelElems = 2048

var _ Ops[[]float32] = (*rowOps)(nil)

// net returns the variant of the block the weights hold.
func (m *Model) net() Net {
	n := Net{Layers: len(m.Weights.Layers), GPT2: m.GPT2 != nil}
	for il := range m.Weights.Layers {
		n.QKNorm = n.QKNorm || m.Weights.Layers[il].QNorm != nil
	}
	return n
}

// forwardRows runs the network (Hidden, then the output head) over the
// rows of all sequences ss (ids[i], at least one each, runs on ss[i] at its
// positions ss[i].Len()..) on r's scratch, advances each sequence, and
// returns the logits ([nOut, vocab] in r.logits: every row when all is set,
// else the last row of each sequence). The ids must have been checked
// (checkIDs); a sequence's KV cache is made here on first use. r keeps
// neither ss nor ids.
func (m *Model) forwardRows(r *rowOps, ss []*Sequence, ids [][]int, all bool) ([]float32, error) {
	if err := r.start(m, ss, ids, all); err != nil {
		return nil, err
	}
	logits := Logits[[]float32](r, m.net())
	err := r.finish()
	return logits, err
}

// hiddenRows is forwardRows without the output head: the final hidden
// states after the output norm, of every row ([nTok, dim], in r.xb).
func (m *Model) hiddenRows(r *rowOps, ss []*Sequence, ids [][]int) ([]float32, error) {
	if err := r.start(m, ss, ids, true); err != nil {
		return nil, err
	}
	h := Hidden[[]float32](r, m.net())
	r.flushPending()
	err := r.finish()
	return h, err
}

// start readies r for a step of ss: the row offsets, each sequence's KV
// cache and RoPE angles, and the scratch buffers.
func (r *rowOps) start(m *Model, ss []*Sequence, ids [][]int, all bool) error {
	c, w := &m.Config, m.Weights
	dim, qDim, kvDim, hd, ffn := c.Dim, c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim, c.HeadDim, c.FFNDim
	if m.GPT2 != nil {
		if err := m.GPT2.check(c); err != nil {
			return err
		}
	}
	r.m, r.all, r.err = m, all, nil
	r.normPending, r.normX, r.normG = false, nil, nil
	r.gluPending, r.gluGate, r.gluUp = false, nil, nil
	r.ss, r.ids = append(r.ss[:0], ss...), append(r.ids[:0], ids...)
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
					r.clear()
					return fmt.Errorf("llama: layer %d: %w", il, err)
				}
			}
			s.kv = kv
		}
		if m.GPT2 == nil { // GPT-2: learned positions
			n := offs[i+1] - offs[i]
			s.ropeCos, s.ropeSin = grow(s.ropeCos, n*half), grow(s.ropeSin, n*half)
			kernels.RoPETable(s.ropeCos, s.ropeSin, s.n, c.RopeDim, c.RopeBase, c.RopeFreqScale, w.RopeFreqs)
		}
	}
	r.x, r.xb, r.xb2 = grow(r.x, nTok*dim), grow(r.xb, nTok*dim), grow(r.xb2, nTok*dim)
	r.q, r.att = grow(r.q, nTok*qDim), grow(r.att, nTok*qDim)
	r.kNew, r.vNew = grow(r.kNew, nTok*kvDim), grow(r.vNew, nTok*kvDim)
	r.gate, r.up = grow(r.gate, nTok*ffn), grow(r.up, nTok*ffn)
	return nil
}

// finish ends a step: unless a KV cache store failed, each sequence has
// advanced by its rows. It returns that failure.
func (r *rowOps) finish() error {
	err := r.err
	if err == nil {
		for i, s := range r.ss {
			s.n += r.offs[i+1] - r.offs[i]
		}
	}
	r.clear()
	return err
}

// clear drops r's references to the step's sequences and ids.
func (r *rowOps) clear() {
	r.normPending, r.normX, r.normG = false, nil, nil
	r.gluPending, r.gluGate, r.gluUp = false, nil, nil
	clear(r.ss)
	clear(r.ids)
	r.ss, r.ids, r.err = r.ss[:0], r.ids[:0], nil
}

// nTok is the number of rows of the step.
func (r *rowOps) nTok() int { return r.offs[len(r.ss)] }

// layer returns the weights of block il.
func (r *rowOps) layer(il int) *Layer { return &r.m.Weights.Layers[il] }

// Embed implements Ops: x: [nTok, dim] ← rows of the token embedding.
func (r *rowOps) Embed() []float32 {
	r.flushPending()
	w, dim := r.m.Weights, r.m.Config.Dim
	for i := range r.ss {
		for j, id := range r.ids[i] {
			t := r.offs[i] + j
			w.TokenEmbd.row(r.x[t*dim:(t+1)*dim], id)
		}
	}
	return r.x
}

// RMSNorm implements Ops: xb: [rows, dim] ← RMSNorm(x)·w, row by row.
func (r *rowOps) RMSNorm(x []float32, il int, w Weight) []float32 {
	c, dim := &r.m.Config, r.m.Config.Dim
	var g []float32
	switch w {
	case WAttnNorm:
		g = r.layer(il).AttnNorm
	case WFFNNorm:
		g = r.layer(il).FFNNorm
	case WOutputNorm:
		g = r.m.Weights.OutputNorm
	default:
		panic(fmt.Sprintf("llama: RMSNorm of weight %d", w))
	}
	r.flushPending()
	out := r.xb[:len(x)]
	if rows := len(x) / dim; rows >= 2 && len(x) >= parallelElems {
		r.normX, r.normG = x, g
		if (w == WAttnNorm || w == WFFNNorm) && r.m.GPT2 == nil {
			// the next step is QKV or GateUp (Hidden): left to its job
			r.normPending = true
			return out
		}
		if r.normFn == nil {
			r.normFn = r.normRow
		}
		kernels.Parallel(rows, r.normFn)
		r.normX, r.normG = nil, nil
		return out
	}
	for t := 0; t < len(x)/dim; t++ {
		kernels.RMSNorm(out[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], g, c.RMSEps)
	}
	return out
}

// normRow is row t of RMSNorm: xb ← RMSNorm(normX)·normG.
func (r *rowOps) normRow(t int) {
	dim := r.m.Config.Dim
	kernels.RMSNorm(r.xb[t*dim:(t+1)*dim], r.normX[t*dim:(t+1)*dim], r.normG, r.m.Config.RMSEps)
}

// normRows is rows [lo, hi) of RMSNorm (normRow each).
func (r *rowOps) normRows(lo, hi int) {
	for t := lo; t < hi; t++ {
		r.normRow(t)
	}
}

// takeNorm returns the pending RMSNorm's rows for a product's job to
// compute (nil when none is pending) and marks them computed; the caller
// clears normX, normG after the product (endNorm).
func (r *rowOps) takeNorm() func(lo, hi int) {
	if !r.normPending {
		return nil
	}
	r.normPending = false
	if r.normRowsFn == nil {
		r.normRowsFn = r.normRows
	}
	return r.normRowsFn
}

// endNorm drops the operands of a norm a product's job computed.
func (r *rowOps) endNorm() { r.normX, r.normG = nil, nil }

// flushPending computes a pending RMSNorm's or SwiGLU's rows now, on
// the pool.
func (r *rowOps) flushPending() {
	if r.gluPending {
		r.gluPending = false
		if r.gluFn == nil {
			r.gluFn = r.swiGLUSeq
		}
		kernels.Parallel(len(r.ss), r.gluFn)
		r.gluGate, r.gluUp = nil, nil
	}
	if !r.normPending {
		return
	}
	r.normPending = false
	if r.normFn == nil {
		r.normFn = r.normRow
	}
	kernels.Parallel(len(r.normX)/r.m.Config.Dim, r.normFn)
	r.normX, r.normG = nil, nil
}

// QKV implements Ops: q, k, v ← h·Wᵀ (+ bias) in one kernels.MatMulMany (h
// converted once, one parallel loop over all three).
func (r *rowOps) QKV(h []float32, il int) (q, k, v []float32) {
	l := r.layer(il)
	r.mulTMany(h, r.nTok(), &l.Query, r.q, &l.Key, r.kNew, &l.Value, r.vNew)
	return r.q, r.kNew, r.vNew
}

// QKNorm implements Ops: every [headDim] head of q and k, in place.
func (r *rowOps) QKNorm(q, k []float32, il int) ([]float32, []float32) {
	r.flushPending()
	c, l, hd := &r.m.Config, r.layer(il), r.m.Config.HeadDim
	if l.QNorm == nil {
		return q, k
	}
	for i := 0; i < len(q)/hd; i++ {
		kernels.RMSNorm(q[i*hd:(i+1)*hd], q[i*hd:(i+1)*hd], l.QNorm, c.RMSEps)
	}
	for i := 0; i < len(k)/hd; i++ {
		kernels.RMSNorm(k[i*hd:(i+1)*hd], k[i*hd:(i+1)*hd], l.KNorm, c.RMSEps)
	}
	return q, k
}

// RoPE implements Ops: each sequence's rows, in place, by the angles of its
// positions (start). For a batch of several sequences the rotation is left
// to Attention, whose per-sequence pass on the worker pool rotates a
// sequence's rows and stores its keys (Attention is the only user of the
// rotated q and k, right after RoPE; see Net).
func (r *rowOps) RoPE(q, k []float32) ([]float32, []float32) {
	r.flushPending()
	if r.parallelSeqs(len(q) + len(k)) {
		r.ropeQ, r.ropeK = q, k
		return q, k
	}
	for i := range r.ss {
		r.rope(i, q, k)
	}
	return q, k
}

// rope rotates sequence i's rows of q and k in place.
func (r *rowOps) rope(i int, q, k []float32) {
	c, s := &r.m.Config, r.ss[i]
	qDim, kvDim := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	t0, t1 := r.offs[i], r.offs[i+1]
	kernels.RoPERotate(q[t0*qDim:t1*qDim], s.ropeCos, s.ropeSin, t1-t0, c.NumHeads, c.HeadDim, c.RopeDim, c.RopeMode)
	kernels.RoPERotate(k[t0*kvDim:t1*kvDim], s.ropeCos, s.ropeSin, t1-t0, c.NumKVHeads, c.HeadDim, c.RopeDim, c.RopeMode)
}

// parallelSeqs reports whether per-sequence work of elems elements in all
// runs on the worker pool.
func (r *rowOps) parallelSeqs(elems int) bool {
	return len(r.ss) >= 2 && elems >= parallelElems
}

// Attention implements Ops: each sequence on its own, rows t0..t1-1 (n of
// them) at positions s.n..s.n+n-1: its k, v appended to its KV cache of
// block il, then att: [n, nHeads·headDim] ← causal attention of row t over
// positions 0..s.n+t. All sequences' attention runs in one parallel loop
// (kernels.AttentionBatch: per sequence the bits of AttentionCached).
func (r *rowOps) Attention(q, k, v []float32, il int) []float32 {
	r.flushPending()
	c := &r.m.Config
	qDim := c.NumHeads * c.HeadDim
	scale := float32(1 / math.Sqrt(float64(c.HeadDim)))
	rotate := r.ropeQ != nil
	r.ropeQ, r.ropeK = nil, nil
	if r.err != nil {
		return r.att
	}
	// per sequence (on the pool for a batch): its rows rotated when RoPE
	// left them, its keys and values stored
	if r.prepFn == nil {
		r.prepFn = r.prep
	}
	if rotate {
		r.ropeQ, r.ropeK = q, k
	}
	r.prepK, r.prepV, r.prepIL = k, v, il
	r.prepErr = append(r.prepErr[:0], make([]error, len(r.ss))...)
	if rotate || r.parallelSeqs(len(k)+len(v)) {
		kernels.Parallel(len(r.ss), r.prepFn)
	} else {
		for i := range r.ss {
			r.prep(i)
		}
	}
	r.ropeQ, r.ropeK, r.prepK, r.prepV = nil, nil, nil, nil
	for _, err := range r.prepErr {
		if err != nil {
			r.err = err
			break
		}
	}
	clear(r.prepErr)
	if r.err != nil {
		return r.att
	}
	for i, s := range r.ss {
		t0, t1 := r.offs[i], r.offs[i+1]
		r.attn.Add(r.att[t0*qDim:t1*qDim], q[t0*qDim:t1*qDim], s.kv[il], s.n, t1-t0)
	}
	r.attn.Run(c.NumHeads, scale)
	return r.att
}

// prep is Attention's work for sequence i: its rows of q and k rotated
// when RoPE left them (ropeQ set), its keys and values stored in its KV
// cache of block prepIL; a failed store goes to prepErr[i].
func (r *rowOps) prep(i int) {
	c, s := &r.m.Config, r.ss[i]
	if r.ropeQ != nil {
		r.rope(i, r.ropeQ, r.ropeK)
	}
	kvDim := c.NumKVHeads * c.HeadDim
	t0, t1 := r.offs[i], r.offs[i+1]
	if err := s.kv[r.prepIL].Store(s.n, r.prepK[t0*kvDim:t1*kvDim], r.prepV[t0*kvDim:t1*kvDim]); err != nil {
		r.prepErr[i] = fmt.Errorf("llama: batch sequence %d, layer %d: %w", i, r.prepIL, err)
	}
}

// Linear implements Ops: xb2: [nTok, dim] ← x·Wᵀ (+ bias) for the attention
// output and FFN down matrices, gate: [nTok, ffnDim] for FFN up (GPT-2).
func (r *rowOps) Linear(x []float32, il int, w Weight) []float32 {
	l := r.layer(il)
	m, out := &l.FFNDown, r.xb2
	switch w {
	case WAttnOutput:
		m = &l.AttnOutput
	case WFFNDown:
	case WFFNUp:
		m, out = &l.FFNUp, r.gate
	default:
		panic(fmt.Sprintf("llama: Linear of weight %d", w))
	}
	out = out[:r.nTok()*m.Rows]
	if r.gluPending && w == WFFNDown && len(x) > 0 && &x[0] == &r.gluGate[0] {
		// SwiGLU's rows run in the product's job (one op of
		// MatMulManyPrep: the bits of mulT)
		r.gluPending = false
		if r.gluRowsFn == nil {
			r.gluRowsFn = r.swiGLURows
		}
		r.mulTPrep(x, r.nTok(), []*Matrix{m}, [][]float32{out}, r.gluRowsFn)
		r.gluGate, r.gluUp = nil, nil
		return out
	}
	r.flushPending()
	m.mulT(out, x, r.nTok())
	return out
}

// Add implements Ops: x += y, in place.
func (r *rowOps) Add(x, y []float32) []float32 {
	r.flushPending()
	kernels.Add(x, y)
	return x
}

// GateUp implements Ops: gate, up: [nTok, ffnDim] ← h·Wᵀ (one
// kernels.MatMulMany).
func (r *rowOps) GateUp(h []float32, il int) (gate, up []float32) {
	l := r.layer(il)
	r.mulTMany(h, r.nTok(), &l.FFNGate, r.gate, &l.FFNUp, r.up, nil, nil)
	return r.gate, r.up
}

// SwiGLU implements Ops: gate ← SiLU(gate)⊙up in place, per sequence (the
// vector blocks of kernels.SwiGLU then span the same rows as in a step of
// the sequence alone).
func (r *rowOps) SwiGLU(gate, up []float32) []float32 {
	r.flushPending()
	if r.parallelSeqs(r.nTok() * r.m.Config.FFNDim) {
		r.gluGate, r.gluUp = gate, up
		if r.nTok() == len(r.ss) && r.m.GPT2 == nil {
			// a decode step: row i is sequence i, and the next step
			// is the FFN down product (Hidden), whose job computes it
			r.gluPending = true
			return gate
		}
		if r.gluFn == nil {
			r.gluFn = r.swiGLUSeq
		}
		kernels.Parallel(len(r.ss), r.gluFn)
		r.gluGate, r.gluUp = nil, nil
		return gate
	}
	for i := range r.ss {
		r.gluGate, r.gluUp = gate, up
		r.swiGLUSeq(i)
	}
	r.gluGate, r.gluUp = nil, nil
	return gate
}

// swiGLURows is SwiGLU of rows [lo, hi) of a decode step, in which row
// i is sequence i's only row (swiGLUSeq each).
func (r *rowOps) swiGLURows(lo, hi int) {
	for i := lo; i < hi; i++ {
		r.swiGLUSeq(i)
	}
}

// swiGLUSeq is SwiGLU of sequence i's rows of gluGate, gluUp.
func (r *rowOps) swiGLUSeq(i int) {
	ffn := r.m.Config.FFNDim
	g, u := r.gluGate[r.offs[i]*ffn:r.offs[i+1]*ffn], r.gluUp[r.offs[i]*ffn:r.offs[i+1]*ffn]
	kernels.SwiGLU(g, g, u)
}

// HeadRows implements Ops: every row of x when r.all is set, else xb2:
// [nSeq, dim] ← the last row of each sequence.
func (r *rowOps) HeadRows(x []float32) []float32 {
	r.flushPending()
	if r.all {
		return x
	}
	dim := r.m.Config.Dim
	out := r.xb2[:len(r.ss)*dim]
	for i := range r.ss {
		t := r.offs[i+1] - 1
		copy(out[i*dim:(i+1)*dim], x[t*dim:(t+1)*dim])
	}
	return out
}

// Head implements Ops: logits: [nOut, vocab] ← x·Woutᵀ, in r.logits.
func (r *rowOps) Head(x []float32) []float32 {
	r.flushPending()
	c, dim := &r.m.Config, r.m.Config.Dim
	nOut := len(x) / dim
	r.logits = grow(r.logits, nOut*c.VocabSize)
	r.m.Weights.Output.mulT(r.logits, x, nOut)
	return r.logits
}
