package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/quant"
)

// Layer is one transformer block's parameters. Matrices are [out, in] (one
// row per output feature, as GGUF and PyTorch store them); vectors [1, n].
// Fields a given architecture lacks are nil.
type Layer struct {
	AttnNorm, AttnNormB  *ag.Var // Llama: RMSNorm weight; GPT-2: LayerNorm weight and bias
	Query, Key, Value    *ag.Var
	QueryB, KeyB, ValueB *ag.Var // GPT-2 biases
	AttnOut, AttnOutB    *ag.Var
	FFNNorm, FFNNormB    *ag.Var
	Gate, Up, Down       *ag.Var // Llama SwiGLU: down·(SiLU(gate·x) ⊙ up·x)
	Fc, FcB, Proj, ProjB *ag.Var // GPT-2 MLP: proj·GELU(fc·x + b) + b
}

// Model is a trainable Llama- or GPT-2-shaped network on autograd values.
// Forward with a nil tape is inference.
type Model struct {
	Config   Config
	TokEmbd  *ag.Var // [vocab, dim]
	PosEmbd  *ag.Var // GPT-2: [ctx, dim]
	Layers   []Layer
	OutNorm  *ag.Var // [1, dim]
	OutNormB *ag.Var // GPT-2
	Output   *ag.Var // [vocab, dim]; TokEmbd when tied

	names  []string
	params []*ag.Var
}

// NewModel returns a model of shape c (after WithDefaults and Validate)
// initialized as nanoGPT (model.py _init_weights): every matrix and
// embedding N(0, 0.02²), the residual projections (attention output and
// the MLP's last matrix) N(0, (0.02/√(2·layers))²), biases 0, norm weights
// 1, drawn from rng in a fixed order.
func NewModel(c Config, rng *rand.Rand) (*Model, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Config: c}
	std := 0.02
	resid := std / math.Sqrt(2*float64(c.Layers))
	normal := func(rows, cols int, s float64) *ag.Var {
		v := ag.Param(rows, cols, nil)
		for i := range v.Data {
			v.Data[i] = float32(rng.NormFloat64() * s)
		}
		return v
	}
	ones := func(n int) *ag.Var {
		v := ag.Param(1, n, nil)
		for i := range v.Data {
			v.Data[i] = 1
		}
		return v
	}
	zeros := func(n int) *ag.Var { return ag.Param(1, n, nil) }
	d, kv, f := c.Dim, c.KVHeads*c.HeadDim(), c.FFN
	m.TokEmbd = normal(c.Vocab, d, std)
	if c.Arch == ArchGPT2 {
		if c.Pos == PosSinusoidal {
			m.PosEmbd = ag.New(c.Ctx, d, Sinusoids(c.Ctx, d))
		} else {
			m.PosEmbd = normal(c.Ctx, d, std)
		}
	}
	m.Layers = make([]Layer, c.Layers)
	for i := range m.Layers {
		l := &m.Layers[i]
		l.AttnNorm = ones(d)
		l.Query, l.Key, l.Value = normal(d, d, std), normal(kv, d, std), normal(kv, d, std)
		l.AttnOut = normal(d, d, resid)
		l.FFNNorm = ones(d)
		if c.Arch == ArchGPT2 {
			l.AttnNormB, l.FFNNormB = zeros(d), zeros(d)
			l.QueryB, l.KeyB, l.ValueB, l.AttnOutB = zeros(d), zeros(kv), zeros(kv), zeros(d)
			l.Fc, l.FcB = normal(f, d, std), zeros(f)
			l.Proj, l.ProjB = normal(d, f, resid), zeros(d)
		} else {
			l.Gate, l.Up = normal(f, d, std), normal(f, d, std)
			l.Down = normal(d, f, resid)
		}
	}
	m.OutNorm = ones(d)
	if c.Arch == ArchGPT2 {
		m.OutNormB = zeros(d)
	}
	if c.Tied {
		m.Output = m.TokEmbd
	} else {
		m.Output = normal(c.Vocab, d, std)
	}
	m.index()
	return m, nil
}

// index lists the parameters with their GGUF-style names in a fixed order.
func (m *Model) index() {
	m.names, m.params = nil, nil
	add := func(name string, v *ag.Var) {
		if v != nil {
			m.names = append(m.names, name)
			m.params = append(m.params, v)
		}
	}
	add("token_embd.weight", m.TokEmbd)
	if m.PosEmbd.RequiresGrad() { // a sinusoidal table is no parameter: NewModel rebuilds it
		add("position_embd.weight", m.PosEmbd)
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		p := func(s string, v *ag.Var) { add(fmt.Sprintf("blk.%d.%s", i, s), v) }
		p("attn_norm.weight", l.AttnNorm)
		p("attn_norm.bias", l.AttnNormB)
		p("attn_q.weight", l.Query)
		p("attn_q.bias", l.QueryB)
		p("attn_k.weight", l.Key)
		p("attn_k.bias", l.KeyB)
		p("attn_v.weight", l.Value)
		p("attn_v.bias", l.ValueB)
		p("attn_output.weight", l.AttnOut)
		p("attn_output.bias", l.AttnOutB)
		p("ffn_norm.weight", l.FFNNorm)
		p("ffn_norm.bias", l.FFNNormB)
		p("ffn_gate.weight", l.Gate)
		p("ffn_up.weight", l.Up)
		p("ffn_down.weight", l.Down)
		p("ffn_up.weight", l.Fc)
		p("ffn_up.bias", l.FcB)
		p("ffn_down.weight", l.Proj)
		p("ffn_down.bias", l.ProjB)
	}
	add("output_norm.weight", m.OutNorm)
	add("output_norm.bias", m.OutNormB)
	if !m.Config.Tied {
		add("output.weight", m.Output)
	}
}

// Params returns the trainable values in a fixed order (a tied head is
// listed once, as the token embedding).
func (m *Model) Params() []*ag.Var { return m.params }

// Names returns the GGUF-style names of Params, in the same order.
func (m *Model) Names() []string { return m.names }

// NumParams returns the number of trainable values.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += len(p.Data)
	}
	return n
}

// Forward returns the logits [batch·T, vocab] of ids, batch windows of T =
// len(ids)/batch tokens each stored one after another, every window starting
// at position 0. With a nil tape nothing is recorded. ids must be in the
// vocabulary and T at most Ctx (callers check data from outside).
func (m *Model) Forward(tp *ag.Tape, ids []int, batch int) *ag.Var {
	return m.ForwardRows(tp, Rows{IDs: ids, Batch: batch})
}

// Hidden returns the final hidden states (after the output norm) of ids,
// [len(ids), dim]: Forward without the output head. A reward model's scalar
// head and embeddings read them. Same preconditions as Forward.
func (m *Model) Hidden(tp *ag.Tape, ids []int, batch int) *ag.Var {
	return m.HiddenRows(tp, Rows{IDs: ids, Batch: batch})
}

// Rows are the tokens of a forward pass: Batch windows of T = len(IDs)/Batch
// tokens each, stored one after another. By default every window starts at
// position 0 and attends causally within itself (Forward); Pos and
// Attention change that, e.g. for several examples packed in one window
// (positions restarting at each example, block-diagonal causal attention).
type Rows struct {
	IDs   []int
	Batch int
	// Pos, when set, is every token's position (its RoPE angle or its row
	// of the position embedding): len(IDs) values in [0, Ctx).
	Pos []int
	// Attention, when set, replaces the causal attention within each
	// window: q [len(IDs), heads·headDim], k, v [len(IDs), kvHeads·headDim]
	// → [len(IDs), heads·headDim].
	Attention func(tp *ag.Tape, q, k, v *ag.Var) *ag.Var
}

// ForwardRows returns the logits [len(r.IDs), vocab] of r: Forward with
// r's positions and attention. Same preconditions as Forward.
func (m *Model) ForwardRows(tp *ag.Tape, r Rows) *ag.Var {
	return llama.Logits[*ag.Var](m.ops(tp, r), m.net())
}

// HiddenRows returns the final hidden states [len(r.IDs), dim] of r:
// ForwardRows without the output head.
func (m *Model) HiddenRows(tp *ag.Tape, r Rows) *ag.Var {
	return llama.Hidden[*ag.Var](m.ops(tp, r), m.net())
}

// net is the variant of the network definition (llama.Hidden) m runs.
func (m *Model) net() llama.Net {
	return llama.Net{Layers: len(m.Layers), GPT2: m.Config.Arch == ArchGPT2}
}

// ops returns the autograd backend of the network definition for a forward
// pass of r.
func (m *Model) ops(tp *ag.Tape, r Rows) *agOps {
	c := m.Config
	ids, batch := r.IDs, r.Batch
	T := 0
	if batch > 0 {
		T = len(ids) / batch
	}
	if batch <= 0 || T*batch != len(ids) || T > c.Ctx || (r.Pos != nil && len(r.Pos) != len(ids)) {
		panic(fmt.Sprintf("train: forward of %d ids in %d windows (context %d) with %d positions", len(ids), batch, c.Ctx, len(r.Pos)))
	}
	pos := r.Pos
	if pos == nil {
		pos = make([]int, len(ids))
		for i := range pos {
			pos[i] = i % T
		}
	} else {
		for i, p := range pos {
			if p < 0 || p >= c.Ctx {
				panic(fmt.Sprintf("train: position %d of token %d is outside the context [0, %d)", p, i, c.Ctx))
			}
		}
	}
	return &agOps{tp: tp, m: m, ids: ids, pos: pos, batch: batch, attend: r.Attention}
}

// agOps is the autograd backend of the network definition (llama.Ops): each
// step is recorded on tp (nothing is recorded on a nil tape). The rows are
// batch windows of ids, one after another, at positions pos.
type agOps struct {
	tp       *ag.Tape
	m        *Model
	ids, pos []int
	batch    int
	attend   func(tp *ag.Tape, q, k, v *ag.Var) *ag.Var // Rows.Attention, or nil
}

var _ llama.Ops[*ag.Var] = (*agOps)(nil)

// Embed implements llama.Ops: [len(ids), dim].
func (o *agOps) Embed() *ag.Var { return ag.Embedding(o.tp, o.m.TokEmbd, o.ids) }

// PosEmbed implements llama.Ops: [len(ids), dim].
func (o *agOps) PosEmbed() *ag.Var { return ag.Embedding(o.tp, o.m.PosEmbd, o.pos) }

// norm returns the weight and bias of a norm (il < 0: the output norm).
func (o *agOps) norm(il int, w llama.Weight) (g, b *ag.Var) {
	switch w {
	case llama.WAttnNorm:
		return o.m.Layers[il].AttnNorm, o.m.Layers[il].AttnNormB
	case llama.WFFNNorm:
		return o.m.Layers[il].FFNNorm, o.m.Layers[il].FFNNormB
	case llama.WOutputNorm:
		return o.m.OutNorm, o.m.OutNormB
	}
	panic(fmt.Sprintf("train: norm of weight %d", w))
}

// RMSNorm implements llama.Ops.
func (o *agOps) RMSNorm(x *ag.Var, il int, w llama.Weight) *ag.Var {
	g, _ := o.norm(il, w)
	return ag.RMSNorm(o.tp, x, g, o.m.Config.Eps)
}

// LayerNorm implements llama.Ops.
func (o *agOps) LayerNorm(x *ag.Var, il int, w llama.Weight) *ag.Var {
	g, b := o.norm(il, w)
	return ag.LayerNorm(o.tp, x, g, b, o.m.Config.Eps)
}

// QKV implements llama.Ops: three products (+ bias: GPT-2).
func (o *agOps) QKV(h *ag.Var, il int) (q, k, v *ag.Var) {
	l := &o.m.Layers[il]
	q = ag.MatMul(o.tp, h, l.Query, l.QueryB)
	k = ag.MatMul(o.tp, h, l.Key, l.KeyB)
	v = ag.MatMul(o.tp, h, l.Value, l.ValueB)
	return q, k, v
}

// QKNorm implements llama.Ops: no trained architecture normalizes heads.
func (o *agOps) QKNorm(q, k *ag.Var, il int) (*ag.Var, *ag.Var) {
	panic("train: no query/key head norms")
}

// RoPE implements llama.Ops: the normal (GPT-J) pairing over whole heads.
func (o *agOps) RoPE(q, k *ag.Var) (*ag.Var, *ag.Var) {
	c := o.m.Config
	hd := c.HeadDim()
	q = ag.RoPE(o.tp, q, o.pos, c.Heads, hd, c.RoPE, 1, kernels.RoPENormal)
	k = ag.RoPE(o.tp, k, o.pos, c.KVHeads, hd, c.RoPE, 1, kernels.RoPENormal)
	return q, k
}

// Attention implements llama.Ops: causal within each window, or
// Rows.Attention.
func (o *agOps) Attention(q, k, v *ag.Var, il int) *ag.Var {
	if o.attend != nil {
		return o.attend(o.tp, q, k, v)
	}
	c := o.m.Config
	return ag.Attention(o.tp, q, k, v, o.batch, c.Heads, c.KVHeads, ag.DefaultScale(c.HeadDim()))
}

// Linear implements llama.Ops.
func (o *agOps) Linear(x *ag.Var, il int, w llama.Weight) *ag.Var {
	l := &o.m.Layers[il]
	switch w {
	case llama.WAttnOutput:
		return ag.MatMul(o.tp, x, l.AttnOut, l.AttnOutB)
	case llama.WFFNUp:
		return ag.MatMul(o.tp, x, l.Fc, l.FcB)
	case llama.WFFNDown:
		if l.Proj != nil {
			return ag.MatMul(o.tp, x, l.Proj, l.ProjB)
		}
		return ag.MatMul(o.tp, x, l.Down, nil)
	}
	panic(fmt.Sprintf("train: Linear of weight %d", w))
}

// Add implements llama.Ops.
func (o *agOps) Add(x, y *ag.Var) *ag.Var { return ag.Add(o.tp, x, y) }

// GateUp implements llama.Ops.
func (o *agOps) GateUp(h *ag.Var, il int) (gate, up *ag.Var) {
	l := &o.m.Layers[il]
	return ag.MatMul(o.tp, h, l.Gate, nil), ag.MatMul(o.tp, h, l.Up, nil)
}

// SwiGLU implements llama.Ops.
func (o *agOps) SwiGLU(gate, up *ag.Var) *ag.Var { return ag.SwiGLU(o.tp, gate, up) }

// GELU implements llama.Ops.
func (o *agOps) GELU(x *ag.Var) *ag.Var { return ag.GELU(o.tp, x) }

// HeadRows implements llama.Ops: every row (training scores every position).
func (o *agOps) HeadRows(x *ag.Var) *ag.Var { return x }

// Head implements llama.Ops: [len(ids), vocab].
func (o *agOps) Head(x *ag.Var) *ag.Var { return ag.MatMul(o.tp, x, o.m.Output, nil) }

// Loss returns the mean cross-entropy of Forward's logits against targets
// (one per id; -1 is ignored).
func (m *Model) Loss(tp *ag.Tape, ids, targets []int, batch int) *ag.Var {
	return ag.CrossEntropy(tp, m.Forward(tp, ids, batch), targets, -1)
}

// ToLlama returns the runtime's model (package model/llama) with the same
// weights as F32 matrices (shared, not copied: train further and the
// runtime model changes too), for llmpipe run and the exporters. A GPT-2
// becomes a llama.Model with GPT2 weights (the same network definition's
// GPT-2 variant).
func (m *Model) ToLlama() (*llama.Model, error) {
	c := m.Config
	if c.Arch != ArchLlama && c.Arch != ArchGPT2 {
		return nil, fmt.Errorf("train: %q models do not convert to the llama runtime", c.Arch)
	}
	hd := c.HeadDim()
	mat := func(v, b *ag.Var) llama.Matrix {
		mx := llama.Matrix{Type: quant.F32, Rows: v.Rows, Cols: v.Cols, F32: v.Data}
		if b != nil {
			mx.Bias = b.Data
		}
		return mx
	}
	w := &llama.Weights{
		TokenEmbd:  mat(m.TokEmbd, nil),
		OutputNorm: m.OutNorm.Data,
		Output:     mat(m.Output, nil),
		Layers:     make([]llama.Layer, len(m.Layers)),
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		w.Layers[i] = llama.Layer{
			AttnNorm: l.AttnNorm.Data, Query: mat(l.Query, l.QueryB), Key: mat(l.Key, l.KeyB), Value: mat(l.Value, l.ValueB),
			AttnOutput: mat(l.AttnOut, l.AttnOutB), FFNNorm: l.FFNNorm.Data,
		}
		if c.Arch == ArchGPT2 {
			w.Layers[i].FFNUp, w.Layers[i].FFNDown = mat(l.Fc, l.FcB), mat(l.Proj, l.ProjB)
		} else {
			w.Layers[i].FFNGate, w.Layers[i].FFNUp, w.Layers[i].FFNDown = mat(l.Gate, nil), mat(l.Up, nil), mat(l.Down, nil)
		}
	}
	lc := llama.Config{
		Arch: llama.ArchName, ContextLength: c.Ctx, Dim: c.Dim, NumLayers: c.Layers, FFNDim: c.FFN,
		NumHeads: c.Heads, NumKVHeads: c.KVHeads, HeadDim: hd, RMSEps: c.Eps, RopeDim: hd,
		RopeBase: c.RoPE, RopeFreqScale: 1, RopeMode: kernels.RoPENormal, VocabSize: c.Vocab,
	}
	lm := &llama.Model{Config: lc, Weights: w}
	if c.Arch == ArchGPT2 {
		lm.Config.Arch = llama.ArchGPT2
		g := &llama.GPT2Weights{PosEmbd: mat(m.PosEmbd, nil), OutputNormB: m.OutNormB.Data}
		for i := range m.Layers {
			g.AttnNormB = append(g.AttnNormB, m.Layers[i].AttnNormB.Data)
			g.FFNNormB = append(g.FFNNormB, m.Layers[i].FFNNormB.Data)
		}
		lm.GPT2 = g
	}
	return lm, nil
}

// Sinusoids returns the fixed position encodings of Vaswani et al. 2017
// ("Attention Is All You Need", §3.5), [ctx, dim] row-major:
// PE(p, 2i) = sin(p / 10000^(2i/dim)), PE(p, 2i+1) = cos(p / 10000^(2i/dim)),
// computed in float64 and rounded once.
func Sinusoids(ctx, dim int) []float32 {
	t := make([]float32, ctx*dim)
	for p := range ctx {
		for j := 0; j < dim; j += 2 {
			a := float64(p) / math.Pow(10000, float64(j)/float64(dim))
			t[p*dim+j] = float32(math.Sin(a))
			if j+1 < dim {
				t[p*dim+j+1] = float32(math.Cos(a))
			}
		}
	}
	return t
}
