package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/kernels"
)

// randVar returns a [r, c] value with elements uniform in [-s, s); a
// parameter (checked by gradCheck) when grad is set.
func randVar(rng *rand.Rand, r, c int, s float32, grad bool) *Var {
	d := make([]float32, r*c)
	for i := range d {
		d[i] = (2*rng.Float32() - 1) * s
	}
	if grad {
		return Param(r, c, d)
	}
	return New(r, c, d)
}

func to64(v *Var) *m64 {
	if v == nil {
		return nil
	}
	m := newM64(v.Rows, v.Cols)
	for i, x := range v.Data {
		m.d[i] = float64(x)
	}
	return m
}

// gradCheck runs f through autograd and its float64 twin g on the same
// inputs. It checks the forward values, then seeds the output's gradient
// with random weights r and compares every input gradient with the central
// finite difference of Σ r·g(inputs) in float64:
// |analytic − numeric| ≤ tol·(|numeric| + 0.01·max|numeric|).
func gradCheck(t *testing.T, name string, rng *rand.Rand, in []*Var, f func(ops[*Var], []*Var) *Var,
	g func(ops[*m64], []*m64) *m64, tol float64) {
	t.Helper()
	tp := NewTape()
	out := f(agOps{tp}, in)
	in64 := make([]*m64, len(in))
	for i, v := range in {
		in64[i] = to64(v)
	}
	want := g(refOps{}, in64)
	checkClose(t, name+" forward", out.Data, want.d, tol)
	if !out.RequiresGrad() {
		t.Fatalf("%s: output carries no gradient", name)
	}
	r := make([]float64, len(out.Data))
	for i := range r {
		r[i] = 2*rng.Float64() - 1
		out.Grad[i] = float32(r[i])
	}
	tp.run()
	loss := func() float64 {
		y := g(refOps{}, in64)
		var s float64
		for i, v := range y.d {
			s += r[i] * v
		}
		return s
	}
	for k, v := range in {
		if !v.RequiresGrad() {
			continue
		}
		num := make([]float64, len(v.Data))
		for j := range num {
			x0 := in64[k].d[j]
			h := 1e-6 * max(1, math.Abs(x0))
			in64[k].d[j] = x0 + h
			lp := loss()
			in64[k].d[j] = x0 - h
			lm := loss()
			in64[k].d[j] = x0
			num[j] = (lp - lm) / (2 * h)
		}
		checkClose(t, fmt.Sprintf("%s d input %d %v", name, k, v), v.Grad, num, tol)
	}
}

// checkClose requires |got − want| ≤ tol·(|want| + 0.01·max|want|) + 1e-7
// elementwise (the absolute term covers gradients that are zero in exact
// arithmetic, such as those of a key bias, which softmax cancels) and reports
// the worst element.
func checkClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var mx float64
	for _, w := range want {
		mx = max(mx, math.Abs(w))
	}
	worst, wi := 0.0, -1
	for i, w := range want {
		e := max(0, math.Abs(float64(got[i])-w)-1e-7) / (math.Abs(w) + 0.01*mx + 1e-12)
		if e > worst || math.IsNaN(e) {
			worst, wi = e, i
		}
	}
	if worst > tol || math.IsNaN(worst) {
		t.Errorf("%s: element %d = %g, want %g (relative error %.3g > %g)", what, wi, got[wi], want[wi], worst, tol)
	}
}

// opCase is one op's check: inputs made from the rng and the op, written
// once for both ops[*Var] and ops[*m64].
type opCase struct {
	name string
	in   func(rng *rand.Rand) []*Var
	f    func(ops[*Var], []*Var) *Var
	g    func(ops[*m64], []*m64) *m64
}

// both instantiates a generic op expression for autograd and the twin.
func both(name string, in func(*rand.Rand) []*Var, f func(ops[*Var], []*Var) *Var, g func(ops[*m64], []*m64) *m64) opCase {
	return opCase{name, in, f, g}
}

func TestOpGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	P := func(r, c int, s float32) *Var { return randVar(rng, r, c, s, true) }
	C := func(r, c int, s float32) *Var { return randVar(rng, r, c, s, false) }
	ri := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	ids := func(n, hi int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = rng.IntN(hi)
		}
		return s
	}
	var cases []opCase
	for trial := 0; trial < 3; trial++ {
		n, in, out := ri(1, 7), ri(1, 20), ri(1, 40)
		cases = append(cases,
			both(fmt.Sprintf("MatMul+bias n%d in%d out%d", n, in, out),
				func(*rand.Rand) []*Var { return []*Var{P(n, in, 1), P(out, in, 1), P(1, out, 1)} },
				mmBias[*Var], mmBias[*m64]),
			both(fmt.Sprintf("MatMul n%d in%d out%d", n, in, out),
				func(*rand.Rand) []*Var { return []*Var{P(n, in, 1), P(out, in, 1)} },
				mm[*Var], mm[*m64]),
		)
		vocab, d, k := ri(2, 9), ri(1, 6), ri(1, 12)
		idx := ids(k, vocab)
		cases = append(cases,
			both(fmt.Sprintf("Embedding vocab%d dim%d ids%v", vocab, d, idx),
				func(*rand.Rand) []*Var { return []*Var{P(vocab, d, 1)} },
				func(o ops[*Var], x []*Var) *Var { return o.embedding(x[0], idx) },
				func(o ops[*m64], x []*m64) *m64 { return o.embedding(x[0], idx) }),
		)
		r, c := ri(1, 6), ri(1, 9)
		cases = append(cases,
			both(fmt.Sprintf("Add %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 1), P(r, c, 1)} }, add[*Var], add[*m64]),
			both(fmt.Sprintf("Add row broadcast %dx%d", r+1, c), func(*rand.Rand) []*Var { return []*Var{P(r+1, c, 1), P(1, c, 1)} }, add[*Var], add[*m64]),
			both(fmt.Sprintf("Mul %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 1), P(r, c, 1)} }, mul[*Var], mul[*m64]),
			both(fmt.Sprintf("Scale %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 1)} }, scale[*Var], scale[*m64]),
			both(fmt.Sprintf("RMSNorm %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 2), P(1, c, 1)} }, rmsnorm[*Var], rmsnorm[*m64]),
			both(fmt.Sprintf("LayerNorm %dx%d", r, c+1), func(*rand.Rand) []*Var { return []*Var{P(r, c+1, 2), P(1, c+1, 1), P(1, c+1, 1)} }, layernorm[*Var], layernorm[*m64]),
			both(fmt.Sprintf("Softmax %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 2)} }, softmax[*Var], softmax[*m64]),
			both(fmt.Sprintf("LogSoftmax %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 2)} }, logsoftmax[*Var], logsoftmax[*m64]),
			both(fmt.Sprintf("SiLU %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 3)} }, silu[*Var], silu[*m64]),
			both(fmt.Sprintf("GELU %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 3)} }, gelu[*Var], gelu[*m64]),
			both(fmt.Sprintf("SwiGLU %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 3), P(r, c, 1)} }, swiglu[*Var], swiglu[*m64]),
			both(fmt.Sprintf("KL %dx%d", r, c), func(*rand.Rand) []*Var { return []*Var{P(r, c, 2), P(r, c, 2)} }, kl[*Var], kl[*m64]),
		)
		// RMSNorm per head through Reshape (Qwen3's q/k norms)
		nh, hd := ri(1, 3), ri(1, 4)
		cases = append(cases, both(fmt.Sprintf("Reshape+RMSNorm heads n%d nh%d hd%d", r, nh, hd),
			func(*rand.Rand) []*Var { return []*Var{P(r, nh*hd, 2), P(1, hd, 1)} },
			func(o ops[*Var], x []*Var) *Var {
				return o.reshape(o.rmsnorm(o.reshape(x[0], r*nh, hd), x[1], 1e-5), r, nh*hd)
			},
			func(o ops[*m64], x []*m64) *m64 {
				return o.reshape(o.rmsnorm(o.reshape(x[0], r*nh, hd), x[1], 1e-5), r, nh*hd)
			}))
		// RoPE
		for _, mode := range []kernels.RoPEMode{kernels.RoPENormal, kernels.RoPENeoX} {
			nh, hd := ri(1, 3), 2*ri(1, 4)
			ropeDim := 2 * ri(1, hd/2)
			n := ri(1, 6)
			pos := ids(n, 50)
			fs := []float32{1, 0.5}[trial%2]
			cases = append(cases, both(fmt.Sprintf("RoPE %v n%d heads%d hd%d ropeDim%d pos%v fs%g", mode, n, nh, hd, ropeDim, pos, fs),
				func(*rand.Rand) []*Var { return []*Var{P(n, nh*hd, 1)} },
				func(o ops[*Var], x []*Var) *Var { return o.rope(x[0], pos, nh, ropeDim, 10000, fs, mode) },
				func(o ops[*m64], x []*m64) *m64 { return o.rope(x[0], pos, nh, ropeDim, 10000, fs, mode) }))
		}
		// losses
		V, m := ri(2, 7), ri(2, 8)
		tg := ids(m, V)
		tg[rng.IntN(m)] = -100
		cases = append(cases,
			both(fmt.Sprintf("CrossEntropy %dx%d targets%v", m, V, tg), func(*rand.Rand) []*Var { return []*Var{P(m, V, 3)} },
				func(o ops[*Var], x []*Var) *Var { return o.crossentropy(x[0], tg, -100) },
				func(o ops[*m64], x []*m64) *m64 { return o.crossentropy(x[0], tg, -100) }),
			both(fmt.Sprintf("SequenceLogProb 2x%d x %d targets%v", m, V, tg), func(*rand.Rand) []*Var { return []*Var{P(2*m, V, 3)} },
				func(o ops[*Var], x []*Var) *Var { return o.seqlogprob(x[0], append(tg, tg...), 2, -100) },
				func(o ops[*m64], x []*m64) *m64 { return o.seqlogprob(x[0], append(tg, tg...), 2, -100) }),
			both(fmt.Sprintf("BradleyTerry n%d", m), func(*rand.Rand) []*Var { return []*Var{P(m, 1, 3), P(m, 1, 3)} }, bt[*Var], bt[*m64]),
			both(fmt.Sprintf("DPO n%d", m), func(*rand.Rand) []*Var { return []*Var{P(m, 1, 5), P(m, 1, 5), P(m, 1, 5), P(m, 1, 5)} }, dpo[*Var], dpo[*m64]),
			both(fmt.Sprintf("DPO frozen reference n%d", m), func(*rand.Rand) []*Var { return []*Var{P(m, 1, 5), P(m, 1, 5), C(m, 1, 5), C(m, 1, 5)} }, dpo[*Var], dpo[*m64]),
		)
	}
	// attention: GQA and plain, several batch/T/head shapes
	for _, s := range []struct{ batch, T, nh, nkv, hd int }{
		{1, 1, 1, 1, 1}, {1, 5, 2, 2, 3}, {2, 4, 4, 2, 2}, {2, 6, 4, 1, 4}, {3, 3, 3, 1, 2}, {1, 17, 2, 1, 5},
	} {
		cases = append(cases, both(fmt.Sprintf("Attention batch%d T%d heads%d kv%d hd%d", s.batch, s.T, s.nh, s.nkv, s.hd),
			func(*rand.Rand) []*Var {
				n := s.batch * s.T
				return []*Var{P(n, s.nh*s.hd, 1.5), P(n, s.nkv*s.hd, 1.5), P(n, s.nkv*s.hd, 1)}
			},
			func(o ops[*Var], x []*Var) *Var {
				return o.attention(x[0], x[1], x[2], s.batch, s.nh, s.nkv, DefaultScale(s.hd))
			},
			func(o ops[*m64], x []*m64) *m64 {
				return o.attention(x[0], x[1], x[2], s.batch, s.nh, s.nkv, DefaultScale(s.hd))
			}))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gradCheck(t, c.name, rng, c.in(rng), c.f, c.g, 1e-4)
		})
	}
}

func mmBias[V any](o ops[V], x []V) V  { return o.matmul(x[0], x[1], x[2]) }
func mm[V any](o ops[V], x []V) V      { var none V; return o.matmul(x[0], x[1], none) }
func add[V any](o ops[V], x []V) V     { return o.add(x[0], x[1]) }
func mul[V any](o ops[V], x []V) V     { return o.mul(x[0], x[1]) }
func scale[V any](o ops[V], x []V) V   { return o.scale(x[0], -1.75) }
func rmsnorm[V any](o ops[V], x []V) V { return o.rmsnorm(x[0], x[1], 1e-5) }
func layernorm[V any](o ops[V], x []V) V {
	return o.layernorm(x[0], x[1], x[2], 1e-5)
}
func softmax[V any](o ops[V], x []V) V    { return o.softmax(x[0]) }
func logsoftmax[V any](o ops[V], x []V) V { return o.logsoftmax(x[0]) }
func silu[V any](o ops[V], x []V) V       { return o.silu(x[0]) }
func gelu[V any](o ops[V], x []V) V       { return o.gelu(x[0]) }
func swiglu[V any](o ops[V], x []V) V     { return o.swiglu(x[0], x[1]) }
func kl[V any](o ops[V], x []V) V         { return o.kl(x[0], x[1]) }
func bt[V any](o ops[V], x []V) V         { return o.bt(x[0], x[1]) }
func dpo[V any](o ops[V], x []V) V        { return o.dpo(x[0], x[1], x[2], x[3], 0.3) }
