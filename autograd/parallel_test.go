package autograd

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/llmpipe/llmpipe/kernels"
)

// TestThreadsBitIdentical runs a forward and backward pass of a Llama-shaped
// (grouped KV heads, SwiGLU) and a GPT-2-shaped (LayerNorm, biases, GELU)
// model, big enough that every op splits its work over the pool, with 1 and
// with 3 kernel threads: loss and every gradient must be the same bits.
func TestThreadsBitIdentical(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	defer kernels.SetThreads(0)
	for _, gpt2 := range []bool{false, true} {
		m := newTestModel(gpt2, 512, 128, 2, 4, 2, 512, 64, 4)
		if gpt2 {
			m = newTestModel(gpt2, 512, 128, 2, 4, 4, 512, 64, 4)
		}
		rng := rand.New(rand.NewPCG(7, 7))
		p := m.params(rng, 1)
		ids, targets := randomBatch(rng, m)
		run := func(threads int) (float32, map[string][]float32) {
			kernels.SetThreads(threads)
			for _, v := range p {
				ZeroGrad(v)
			}
			tp := NewTape()
			loss := modelLoss[*Var](agOps{tp}, m, p, ids, targets)
			if err := tp.Backward(loss); err != nil {
				t.Fatal(err)
			}
			g := map[string][]float32{}
			for n, v := range p {
				g[n] = append([]float32(nil), v.Grad...)
			}
			return loss.Data[0], g
		}
		l1, g1 := run(1)
		l3, g3 := run(3)
		if math.Float32bits(l1) != math.Float32bits(l3) {
			t.Errorf("gpt2=%v: loss %v with 1 thread, %v with 3", gpt2, l1, l3)
		}
		for n, a := range g1 {
			for i, x := range a {
				if math.Float32bits(x) != math.Float32bits(g3[n][i]) {
					t.Errorf("gpt2=%v: grad %s[%d] = %v with 1 thread, %v with 3", gpt2, n, i, x, g3[n][i])
					break
				}
			}
		}
	}
}

// TestTanhAbs holds tanhAbs to math.Tanh (absolute error) over a dense
// sweep (the assembly exp; run with -tags purego for the fallback).
func TestTanhAbs(t *testing.T) {
	var xs []float32
	for x := float32(-12); x <= 12; x += 0.00071 {
		xs = append(xs, x)
	}
	got := append([]float32(nil), xs...)
	tanhAbs(got)
	var maxAbs float64
	for i, x := range xs {
		if d := math.Abs(float64(got[i]) - math.Tanh(math.Abs(float64(x)))); d > maxAbs {
			maxAbs = d
		}
	}
	if maxAbs > 4e-7 {
		t.Errorf("tanhAbs: max absolute error %g, want ≤ 4e-7", maxAbs)
	}
	t.Logf("tanhAbs max absolute error %.3g", maxAbs)
}

// TestGELUFast holds the float32 GELU to the float64 formula: the error is
// that of tanhAbs (≤ 4e-7 absolute, scaled by 0.5·|x|) plus float32
// rounding of x³ and the products (a few ulp of |x|), so within
// 4e-7·(1 + |x|). The sweep's length is not a multiple of 8, so the
// ragged tail is covered too.
func TestGELUFast(t *testing.T) {
	var xs []float32
	for x := float32(-10); x <= 10; x += 0.00093 {
		xs = append(xs, x)
	}
	xs = append(xs, 0.5, -0.25, 3)
	y := GELU(nil, New(1, len(xs), xs))
	var worst float64
	for i, x := range xs {
		u := float64(x)
		want := 0.5 * u * (1 + math.Tanh(geluC*(u+0.044715*u*u*u)))
		if e := math.Abs(float64(y.Data[i])-want) / (1 + math.Abs(u)); e > worst {
			worst = e
		}
	}
	if worst > 4e-7 {
		t.Errorf("GELU: max error %g·(1+|x|), want ≤ 4e-7", worst)
	}
	t.Logf("GELU max error %.3g·(1+|x|) over %d values", worst, len(xs))
}
