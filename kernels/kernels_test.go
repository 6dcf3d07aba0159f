package kernels

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestDotMatVecMatMul(t *testing.T) {
	if got := Dot([]float32{1, 2, 3}, []float32{4, 5, 6}); got != 32 {
		t.Errorf("Dot = %v, want 32", got)
	}
	if got := Dot(nil, nil); got != 0 {
		t.Errorf("empty Dot = %v", got)
	}
	w := []float32{1, 2, 3, 4, 5, 6} // [2, 3]
	out := make([]float32, 2)
	MatVec(out, w, []float32{1, 0, -1})
	near(t, "MatVec", out, []float32{-2, -2}, 0)
	outB := make([]float32, 4)
	MatMul(outB, w, []float32{1, 0, -1, 1, 1, 1}, 2, 2, 3)
	near(t, "MatMul", outB, []float32{-2, -2, 6, 15}, 0)
}

func TestRMSNorm(t *testing.T) {
	// mean(x²) = (9+16)/2 = 12.5; 1/sqrt(12.5) = 0.28284271
	out := make([]float32, 2)
	RMSNorm(out, []float32{3, 4}, []float32{1, 2}, 0)
	near(t, "RMSNorm", out, []float32{0.84852814, 2.2627417}, 1e-6)
	// eps matters for small inputs: x = [0,0] stays 0.
	RMSNorm(out, []float32{0, 0}, []float32{1, 1}, 1e-5)
	near(t, "RMSNorm zero", out, []float32{0, 0}, 0)
}

func TestSoftmax(t *testing.T) {
	x := []float32{1, 2, 3}
	Softmax(x)
	// e^-2, e^-1, 1 over their sum 1.5032147
	near(t, "Softmax", x, []float32{0.09003057, 0.24472847, 0.66524096}, 1e-7)
	y := []float32{1000, 1000}
	Softmax(y) // no overflow thanks to the max
	near(t, "Softmax large", y, []float32{0.5, 0.5}, 0)
	z := []float32{float32(math.Inf(-1)), 0}
	Softmax(z)
	near(t, "Softmax -Inf", z, []float32{0, 1}, 0)
	Softmax(nil)
}

func TestSiLUSwiGLU(t *testing.T) {
	// SiLU(1) = 1/(1+e^-1) = 0.7310586; SiLU(-2) = -2/(1+e^2) = -0.23840584
	if got := SiLU(1); math.Abs(float64(got-0.7310586)) > 1e-7 {
		t.Errorf("SiLU(1) = %v", got)
	}
	out := make([]float32, 3)
	SwiGLU(out, []float32{1, -2, 0}, []float32{2, 1, 5})
	near(t, "SwiGLU", out, []float32{1.4621172, -0.23840584, 0}, 1e-6)
	d := []float32{1, 2}
	Add(d, []float32{0.5, -2})
	near(t, "Add", d, []float32{1.5, 0}, 0)
}

func TestRoPE(t *testing.T) {
	// headDim 4, ropeDim 4, base 100: θ_0 = pos, θ_1 = pos·100^(-1/2) = pos/10.
	// At pos 1: cos 1 = 0.5403023, sin 1 = 0.84147098, cos .1 = 0.99500417, sin .1 = 0.09983342.
	x := []float32{1, 0, 0, 1}
	RoPE(x, 1, 4, 4, 1, 100, 1, RoPENormal)
	// pair (x0,x1) = (1,0) → (cos1, sin1); pair (x2,x3) = (0,1) → (-sin.1, cos.1)
	near(t, "RoPE normal", x, []float32{0.5403023, 0.84147098, -0.09983342, 0.99500417}, 1e-6)
	y := []float32{1, 0, 0, 1}
	RoPE(y, 1, 4, 4, 1, 100, 1, RoPENeoX)
	// pairs (y0,y2) = (1,0) with θ_0 → (cos1, sin1); (y1,y3) = (0,1) with θ_1 → (-sin.1, cos.1)
	near(t, "RoPE neox", y, []float32{0.5403023, -0.09983342, 0.84147098, 0.99500417}, 1e-6)
	// ropeDim 2 leaves dims 2,3 alone; two heads rotate alike; pos 0 is the identity.
	z := []float32{1, 0, 7, 8, 0, 2, 9, 10}
	RoPE(z, 2, 4, 2, 1, 100, 1, RoPENormal)
	near(t, "RoPE partial", z, []float32{0.5403023, 0.84147098, 7, 8, -1.682942, 1.0806046, 9, 10}, 1e-6)
	w := []float32{3, 4}
	RoPE(w, 1, 2, 2, 0, 10000, 1, RoPENeoX)
	near(t, "RoPE pos 0", w, []float32{3, 4}, 0)
	// Linear scaling: freqScale 0.5 at pos 2 equals pos 1.
	u := []float32{1, 0}
	RoPE(u, 1, 2, 2, 2, 100, 0.5, RoPENormal)
	near(t, "RoPE scaled", u, []float32{0.5403023, 0.84147098}, 1e-6)
}

func TestAttention(t *testing.T) {
	// 2 query heads sharing 1 KV head, headDim 2, two cached positions.
	q := []float32{1, 0, 0, 1}
	k := []float32{1, 0, 0, 1} // pos 0: (1,0); pos 1: (0,1)
	v := []float32{10, 0, 0, 20}
	out := make([]float32, 4)
	Attention(out, q, k, v, make([]float32, 2), 2, 2, 1, 2, 1)
	// head 0: scores (1, 0) → softmax (0.7310586, 0.2689414) → (7.310586, 5.378828)
	// head 1: scores (0, 1) → (0.2689414, 0.7310586) → (2.689414, 14.621172)
	near(t, "Attention", out, []float32{7.310586, 5.378828, 2.689414, 14.621172}, 1e-5)
	// With nCtx 1 only the first position counts (causality).
	Attention(out, q, k, v, make([]float32, 1), 1, 2, 1, 2, 1)
	near(t, "Attention nCtx=1", out, []float32{10, 0, 10, 0}, 0)
}
