package optim

import (
	"bytes"
	"math"
	"testing"

	"github.com/llmpipe/llmpipe/autograd"
)

func near(t *testing.T, what string, got float32, want float64, tol float64) {
	t.Helper()
	if math.Abs(float64(got)-want) > tol*max(1, math.Abs(want)) {
		t.Errorf("%s = %.9g, want %.9g", what, got, want)
	}
}

// run takes steps of o on the one-element parameter p with the gradients gs
// and checks p after each against want.
func run(t *testing.T, name string, o Optimizer, p *autograd.Var, gs, want []float64) {
	t.Helper()
	for i, g := range gs {
		o.ZeroGrad()
		p.Grad[0] = float32(g)
		o.Step(0.1)
		near(t, name, p.Data[0], want[i], 1e-6)
	}
}

// The expected values follow PyTorch's formulas by hand (lr 0.1, p₀ = 1,
// gradients 0.5 then −0.25). Adam step 1: m = 0.05, v = 0.00025,
// m̂ = 0.5, v̂ = 0.25, p = 1 − 0.1·0.5/(0.5 + 1e-8) = 0.900000002. Step 2:
// m = 0.02, v = 0.00031225, m̂ = 0.02/0.19, v̂ = 0.00031225/0.001999,
// p = 0.900000002 − 0.1·m̂/(√v̂ + 1e-8) = 0.8733662987.
func TestAdam(t *testing.T) {
	gs := []float64{0.5, -0.25}
	p := autograd.Param(1, 1, []float32{1})
	run(t, "Adam", NewAdam([]*autograd.Var{p}), p, gs, []float64{0.900000002, 0.8733662987078463})

	// Adam's L2 decay adds 0.1·p to the gradient.
	p = autograd.Param(1, 1, []float32{1})
	a := NewAdam([]*autograd.Var{p})
	a.WeightDecay = 0.1
	run(t, "Adam L2", a, p, gs, []float64{0.9000000016666666, 0.8544413674617625})

	// AdamW first multiplies p by 1 − lr·wd = 0.99.
	p = autograd.Param(1, 1, []float32{1})
	run(t, "AdamW", NewAdamW([]*autograd.Var{p}, 0.1, nil), p, gs, []float64{0.890000002, 0.8544662986878463})

	// Excluded from decay: plain Adam steps.
	p = autograd.Param(1, 1, []float32{1})
	run(t, "AdamW excluded", NewAdamW([]*autograd.Var{p}, 0.1, DecayMatrices), p, gs, []float64{0.900000002, 0.8733662987078463})
}

// SGD with momentum 0.9: b = g at the first step, then 0.9·b + g.
// p: 1 − 0.1·0.5 = 0.95; b = 0.2, p = 0.93; b = 1.18, p = 0.812.
// Nesterov with weight decay 0.01: g' = g + 0.01·p, b as above from g',
// step g' + 0.9·b.
func TestSGD(t *testing.T) {
	gs := []float64{0.5, -0.25, 1}
	p := autograd.Param(1, 1, []float32{1})
	s := NewSGD([]*autograd.Var{p})
	s.Momentum = 0.9
	run(t, "SGD momentum", s, p, gs, []float64{0.95, 0.93, 0.812})

	p = autograd.Param(1, 1, []float32{1})
	s = NewSGD([]*autograd.Var{p})
	s.Momentum, s.WeightDecay, s.Nesterov = 0.9, 0.01, true
	run(t, "SGD Nesterov", s, p, gs, []float64{0.9031, 0.90757411, 0.6981892081909999})

	p = autograd.Param(1, 1, []float32{1})
	run(t, "SGD plain", NewSGD([]*autograd.Var{p}), p, gs, []float64{0.95, 0.975, 0.875})
}

// nanoGPT-style schedule with lr 6e-4, min 6e-5, warmup 100, decay to step
// 1000: warmup (s+1)/101 of the peak, the cosine midpoint (step 550) at
// (6e-4 + 6e-5)/2, the minimum from step 1000 on.
func TestWarmupCosine(t *testing.T) {
	s := WarmupCosine{MaxLR: 6e-4, MinLR: 6e-5, Warmup: 100, DecaySteps: 1000}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		step int
		want float64
	}{
		{0, 6e-4 / 101}, {50, 6e-4 * 51 / 101}, {99, 6e-4 * 100 / 101}, {100, 6e-4}, {550, 3.3e-4},
		{1000, 6e-5}, {1001, 6e-5}, {5000, 6e-5},
	} {
		near(t, "lr", s.LR(c.step), c.want, 1e-6)
	}
	if Constant(3e-4).LR(123) != 3e-4 {
		t.Error("Constant")
	}
	if (WarmupCosine{MaxLR: 1, Warmup: 5, DecaySteps: 2}).Validate() == nil {
		t.Error("Validate accepted decay steps before the end of warmup")
	}
}

// Gradients (3, 4) and (12): norm 13. Clipping to 6.5 halves them (up to
// the 1e-6 in the denominator); clipping to 20 leaves them.
func TestClipGradNorm(t *testing.T) {
	a, b := autograd.Param(1, 2, nil), autograd.Param(1, 1, nil)
	copy(a.Grad, []float32{3, 4})
	b.Grad[0] = 12
	ps := []*autograd.Var{a, b}
	if n := ClipGradNorm(ps, 20); n != 13 || a.Grad[0] != 3 {
		t.Fatalf("norm %v, grad %v: want 13 and unchanged", n, a.Grad)
	}
	if n := ClipGradNorm(ps, 6.5); n != 13 {
		t.Fatalf("norm %v, want 13", n)
	}
	c := 6.5 / (13 + 1e-6)
	near(t, "clipped a0", a.Grad[0], 3*c, 1e-7)
	near(t, "clipped a1", a.Grad[1], 4*c, 1e-7)
	near(t, "clipped b", b.Grad[0], 12*c, 1e-7)
	if n := ClipGradNorm(ps, 0); math.Abs(n-6.5) > 1e-5 {
		t.Fatalf("norm after clipping %v, want 6.5", n)
	}
	b.Grad[0] = float32(math.NaN())
	if n := ClipGradNorm(ps, 1); !math.IsNaN(n) || a.Grad[0] != float32(3*c) {
		t.Fatalf("NaN gradient: norm %v, grads changed to %v", n, a.Grad)
	}
}

// Saving the state mid-run and restoring it into a fresh optimizer gives
// the same parameters as running on.
func TestStateRoundTrip(t *testing.T) {
	mk := func() []*autograd.Var {
		return []*autograd.Var{autograd.Param(2, 2, []float32{1, 2, 3, 4}), autograd.Param(1, 3, []float32{-1, 0, 1}), autograd.New(1, 1, []float32{5})}
	}
	step := func(o Optimizer, ps []*autograd.Var, k int) {
		o.ZeroGrad()
		for _, p := range ps {
			for i := range p.Grad {
				p.Grad[i] = float32(math.Sin(float64(k*7 + i)))
			}
		}
		o.Step(0.01)
	}
	for _, c := range []struct {
		name string
		mk   func([]*autograd.Var) Optimizer
	}{
		{"AdamW", func(ps []*autograd.Var) Optimizer { return NewAdamW(ps, 0.1, DecayMatrices) }},
		{"SGD", func(ps []*autograd.Var) Optimizer { s := NewSGD(ps); s.Momentum = 0.9; return s }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps1, ps2 := mk(), mk()
			o1 := c.mk(ps1)
			if _, err := o1.MarshalBinary(); err != nil {
				t.Fatal(err)
			}
			for k := 0; k < 3; k++ {
				step(o1, ps1, k)
			}
			st, err := o1.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			for i := range ps1 {
				copy(ps2[i].Data, ps1[i].Data)
			}
			o2 := c.mk(ps2)
			if err := o2.UnmarshalBinary(st); err != nil {
				t.Fatal(err)
			}
			st2, _ := o2.MarshalBinary()
			if !bytes.Equal(st, st2) {
				t.Fatal("state changed in a round trip")
			}
			for k := 3; k < 5; k++ {
				step(o1, ps1, k)
				step(o2, ps2, k)
			}
			for i := range ps1 {
				for j := range ps1[i].Data {
					if ps1[i].Data[j] != ps2[i].Data[j] {
						t.Fatalf("param %d[%d]: %v resumed, %v straight through", i, j, ps2[i].Data[j], ps1[i].Data[j])
					}
				}
			}
			// errors: another optimizer's state, other parameters, truncation
			other := c.mk([]*autograd.Var{autograd.Param(1, 1, nil)})
			if err := other.UnmarshalBinary(st); err == nil {
				t.Error("state of other parameters accepted")
			}
			for _, bad := range [][]byte{nil, st[:len(st)-1], append(append([]byte{}, st...), 0), []byte("LPOPT1X")} {
				if err := o2.UnmarshalBinary(bad); err == nil {
					t.Errorf("bad state of %d bytes accepted", len(bad))
				}
			}
		})
	}
	a, _ := NewAdam(mk()).MarshalBinary()
	if err := NewSGD(mk()).UnmarshalBinary(a); err == nil {
		t.Error("SGD accepted Adam's state")
	}
}

func FuzzUnmarshal(f *testing.F) {
	ps := []*autograd.Var{autograd.Param(1, 2, nil)}
	st, _ := NewAdam(ps).MarshalBinary()
	f.Add(st)
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = NewAdam(ps).UnmarshalBinary(b)
		_ = NewSGD(ps).UnmarshalBinary(b)
	})
}
