package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// klMasked64 is the masked mean KL in float64, from the definition.
func klMasked64(p, q *m64, mask []bool) *m64 {
	y := newM64(1, 1)
	m := 0
	for t := 0; t < p.r; t++ {
		if !mask[t] {
			continue
		}
		m++
		pr, qr := p.d[t*p.c:(t+1)*p.c], q.d[t*q.c:(t+1)*q.c]
		lsp, lsq := lse64(pr), lse64(qr)
		for j := range pr {
			y.d[0] += math.Exp(pr[j]-lsp) * ((pr[j] - lsp) - (qr[j] - lsq))
		}
	}
	if m > 0 {
		y.d[0] /= float64(m)
	}
	return y
}

func TestKLMaskedGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, mask := range [][]bool{{true}, {true, false, true}, {false, false, true, true, false}, {false, true, true, true, true, true, false}} {
		for _, bothGrad := range []bool{true, false} {
			n, V := len(mask), 2+rng.IntN(6)
			name := fmt.Sprintf("n%d V%d mask%v q-grad %v", n, V, mask, bothGrad)
			t.Run(name, func(t *testing.T) {
				in := []*Var{randVar(rng, n, V, 2, true), randVar(rng, n, V, 2, bothGrad)}
				gradCheck(t, name, rng, in,
					func(o ops[*Var], x []*Var) *Var { return KLMasked(o.(agOps).tp, x[0], x[1], mask) },
					func(_ ops[*m64], x []*m64) *m64 { return klMasked64(x[0], x[1], mask) }, 1e-4)
			})
		}
	}
}

// Masked rows change nothing: KLMasked equals KL of the counted rows alone,
// and all-true equals KL; an all-false mask is 0 with zero gradients.
func TestKLMaskedRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n, V := 6, 9
	p, q := randVar(rng, n, V, 3, true), randVar(rng, n, V, 3, false)
	mask := []bool{false, true, true, false, true, false}
	var pr, qr []float32
	for t2, b := range mask {
		if b {
			pr, qr = append(pr, p.Row(t2)...), append(qr, q.Row(t2)...)
		}
	}
	got := KLMasked(nil, p, q, mask).Data[0]
	want := KL(nil, New(3, V, pr), New(3, V, qr)).Data[0]
	if math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("masked KL %g, KL of the counted rows %g", got, want)
	}
	all := []bool{true, true, true, true, true, true}
	if a, b := KLMasked(nil, p, q, all).Data[0], KL(nil, p, q).Data[0]; a != b {
		t.Errorf("all-true mask %g, KL %g", a, b)
	}
	tp := NewTape()
	y := KLMasked(tp, p, q, make([]bool, n))
	if y.Data[0] != 0 {
		t.Errorf("no counted row: %g", y.Data[0])
	}
	if err := tp.Backward(y); err != nil {
		t.Fatal(err)
	}
	for _, g := range p.Grad {
		if g != 0 {
			t.Fatal("no counted row: a nonzero gradient")
		}
	}
}
