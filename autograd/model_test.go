package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/kernels"
)

// testModel is a small transformer written once with ops[V]: Llama-shaped
// (RMSNorm, RoPE, grouped KV heads, SwiGLU, untied output) or GPT-2-shaped
// (LayerNorm, learned positions, biases, GELU, output tied to the token
// embedding).
type testModel struct {
	gpt2                                    bool
	vocab, dim, layers, heads, kvHeads, ffn int
	T, batch                                int
	mode                                    kernels.RoPEMode
	names                                   []string // parameters, in a fixed order
	shapes                                  map[string][2]int
}

func (m *testModel) hd() int { return m.dim / m.heads }

func (m *testModel) param(name string, r, c int) {
	m.names = append(m.names, name)
	m.shapes[name] = [2]int{r, c}
}

func newTestModel(gpt2 bool, vocab, dim, layers, heads, kvHeads, ffn, T, batch int) *testModel {
	m := &testModel{gpt2: gpt2, vocab: vocab, dim: dim, layers: layers, heads: heads, kvHeads: kvHeads, ffn: ffn,
		T: T, batch: batch, shapes: map[string][2]int{}}
	kvDim := kvHeads * m.hd()
	m.param("tok", vocab, dim)
	if gpt2 {
		m.param("pos", T, dim)
	}
	for l := 0; l < layers; l++ {
		p := func(s string, r, c int) { m.param(fmt.Sprintf("l%d.%s", l, s), r, c) }
		p("attn_norm", 1, dim)
		p("wq", dim, dim)
		p("wk", kvDim, dim)
		p("wv", kvDim, dim)
		p("wo", dim, dim)
		p("ffn_norm", 1, dim)
		if gpt2 {
			p("attn_norm_b", 1, dim)
			p("bq", 1, dim)
			p("bk", 1, kvDim)
			p("bv", 1, kvDim)
			p("bo", 1, dim)
			p("ffn_norm_b", 1, dim)
			p("fc", ffn, dim)
			p("fc_b", 1, ffn)
			p("proj", dim, ffn)
			p("proj_b", 1, dim)
		} else {
			p("gate", ffn, dim)
			p("up", ffn, dim)
			p("down", dim, ffn)
		}
	}
	m.param("out_norm", 1, dim)
	if gpt2 {
		m.param("out_norm_b", 1, dim)
	} else {
		m.param("output", vocab, dim)
	}
	return m
}

// params makes the parameters: norm weights near 1, others uniform in
// ±s/√cols.
func (m *testModel) params(rng *rand.Rand, s float32) map[string]*Var {
	ps := map[string]*Var{}
	for _, n := range m.names {
		sh := m.shapes[n]
		v := randVar(rng, sh[0], sh[1], s/float32(math.Sqrt(float64(sh[1]))), true)
		if sh[0] == 1 && (len(n) > 5 && n[len(n)-5:] == "_norm") {
			for i := range v.Data {
				v.Data[i] = 1 + (2*rng.Float32()-1)*0.2
			}
		}
		ps[n] = v
	}
	return ps
}

// countMatMulParams returns the parameters that take part in matrix products
// (every matrix but the token table, which is a gather, unless it is the
// tied output).
func (m *testModel) countMatMulParams() int {
	n := 0
	for _, name := range m.names {
		sh := m.shapes[name]
		if sh[0] == 1 || name == "pos" || (name == "tok" && !m.gpt2) {
			continue
		}
		n += sh[0] * sh[1]
	}
	return n
}

// logits runs the model on ids ([batch·T]).
func modelLogits[V any](o ops[V], m *testModel, p map[string]V, ids []int) V {
	var none V
	const eps = 1e-5
	pos := make([]int, len(ids))
	for i := range pos {
		pos[i] = i % m.T
	}
	x := o.embedding(p["tok"], ids)
	if m.gpt2 {
		x = o.add(x, o.embedding(p["pos"], pos))
	}
	norm := func(x V, w, b string) V {
		if m.gpt2 {
			return o.layernorm(x, p[w], p[b], eps)
		}
		return o.rmsnorm(x, p[w], eps)
	}
	for l := 0; l < m.layers; l++ {
		n := func(s string) V { return p[fmt.Sprintf("l%d.%s", l, s)] }
		ln := func(s string) string { return fmt.Sprintf("l%d.%s", l, s) }
		// attention block: h = norm(x); q, k, v; RoPE (Llama); causal attention; x += att·woᵀ
		h := norm(x, ln("attn_norm"), ln("attn_norm_b"))
		bq, bk, bv, bo := none, none, none, none
		if m.gpt2 {
			bq, bk, bv, bo = n("bq"), n("bk"), n("bv"), n("bo")
		}
		q, k, v := o.matmul(h, n("wq"), bq), o.matmul(h, n("wk"), bk), o.matmul(h, n("wv"), bv)
		if !m.gpt2 {
			q = o.rope(q, pos, m.heads, m.hd(), 10000, 1, m.mode)
			k = o.rope(k, pos, m.kvHeads, m.hd(), 10000, 1, m.mode)
		}
		a := o.attention(q, k, v, m.batch, m.heads, m.kvHeads, DefaultScale(m.hd()))
		x = o.add(x, o.matmul(a, n("wo"), bo))
		// feed-forward block: x += SwiGLU(h·gateᵀ, h·upᵀ)·downᵀ, or GELU(h·fcᵀ + b)·projᵀ + b
		h = norm(x, ln("ffn_norm"), ln("ffn_norm_b"))
		if m.gpt2 {
			x = o.add(x, o.matmul(o.gelu(o.matmul(h, n("fc"), n("fc_b"))), n("proj"), n("proj_b")))
		} else {
			x = o.add(x, o.matmul(o.swiglu(o.matmul(h, n("gate"), none), o.matmul(h, n("up"), none)), n("down"), none))
		}
	}
	x = norm(x, "out_norm", "out_norm_b")
	if m.gpt2 {
		return o.matmul(x, p["tok"], none)
	}
	return o.matmul(x, p["output"], none)
}

func modelLoss[V any](o ops[V], m *testModel, p map[string]V, ids, targets []int) V {
	return o.crossentropy(modelLogits(o, m, p, ids), targets, -1)
}

func randomBatch(rng *rand.Rand, m *testModel) (ids, targets []int) {
	n := m.batch * m.T
	ids, targets = make([]int, n), make([]int, n)
	for i := range ids {
		ids[i], targets[i] = rng.IntN(m.vocab), rng.IntN(m.vocab)
	}
	targets[1], targets[n-1] = -1, -1 // ignored positions
	return ids, targets
}

// TestModelGradients checks every parameter gradient of a whole small
// Llama-shaped model (2 layers, dim 16, 2 heads, 1 KV head, vocab 11, T 6,
// batch 2) and a GPT-2-shaped one against central finite differences of the
// float64 twin.
func TestModelGradients(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *testModel
	}{
		{"llama", newTestModel(false, 11, 16, 2, 2, 1, 24, 6, 2)},
		{"llama-neox", func() *testModel {
			m := newTestModel(false, 11, 8, 1, 2, 2, 12, 5, 2)
			m.mode = kernels.RoPENeoX
			return m
		}()},
		{"gpt2", newTestModel(true, 11, 16, 2, 2, 2, 32, 6, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			m := tc.m
			p := m.params(rng, 1.5)
			ids, targets := randomBatch(rng, m)
			tp := NewTape()
			loss := modelLoss(agOps{tp}, m, p, ids, targets)
			p64 := map[string]*m64{}
			for n, v := range p {
				p64[n] = to64(v)
			}
			want := modelLoss(refOps{}, m, p64, ids, targets).d[0]
			if math.Abs(float64(loss.Data[0])-want) > 1e-5*math.Abs(want) {
				t.Fatalf("loss %v, float64 twin %v", loss.Data[0], want)
			}
			if err := tp.Backward(loss); err != nil {
				t.Fatal(err)
			}
			for _, n := range m.names {
				x := p64[n].d
				num := make([]float64, len(x))
				for j := range x {
					x0 := x[j]
					h := 1e-6 * max(1, math.Abs(x0))
					x[j] = x0 + h
					lp := modelLoss(refOps{}, m, p64, ids, targets).d[0]
					x[j] = x0 - h
					lm := modelLoss(refOps{}, m, p64, ids, targets).d[0]
					x[j] = x0
					num[j] = (lp - lm) / (2 * h)
				}
				checkClose(t, tc.name+" d"+n, p[n].Grad, num, 1e-4)
			}
		})
	}
}

// TestNilTape checks that a nil tape computes the same forward values and
// records nothing, and that gradients accumulate over Backward calls.
func TestNilTapeAndAccumulation(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := newTestModel(false, 11, 16, 2, 2, 1, 24, 6, 2)
	p := m.params(rng, 1)
	ids, targets := randomBatch(rng, m)
	inf := modelLogits[*Var](agOps{nil}, m, p, ids)
	if inf.Grad != nil {
		t.Fatal("nil tape: logits carry a gradient")
	}
	tp := NewTape()
	tr := modelLogits[*Var](agOps{tp}, m, p, ids)
	for i := range inf.Data {
		if inf.Data[i] != tr.Data[i] {
			t.Fatalf("logit %d: %v without tape, %v with", i, inf.Data[i], tr.Data[i])
		}
	}
	tp.Reset()
	grads := func() []float32 {
		loss := modelLoss[*Var](agOps{tp}, m, p, ids, targets)
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), p["l0.wq"].Grad...)
	}
	g1 := grads()
	g2 := grads()
	for i := range g1 {
		if math.Abs(float64(g2[i]-2*g1[i])) > 1e-6*(1+math.Abs(float64(g1[i]))) {
			t.Fatalf("accumulated gradient %d: %v, want 2×%v", i, g2[i], g1[i])
		}
	}
	var all []*Var
	for _, v := range p {
		all = append(all, v)
	}
	ZeroGrad(all...)
	for _, v := range all {
		for _, g := range v.Grad {
			if g != 0 {
				t.Fatal("ZeroGrad left a non-zero gradient")
			}
		}
	}
	if tp.Len() != 0 {
		t.Fatalf("tape holds %d closures after Backward", tp.Len())
	}
	if err := tp.Backward(New(1, 1, nil)); err == nil {
		t.Fatal("Backward of a constant: no error")
	}
	var nilTape *Tape
	if err := nilTape.Backward(New(1, 1, nil)); err == nil {
		t.Fatal("Backward on a nil tape: no error")
	}
}
