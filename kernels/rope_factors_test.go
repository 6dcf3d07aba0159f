package kernels

import (
	"math"
	"testing"
)

// TestRoPEFactors: factors of 1 give RoPE's result bit for bit; a factor f
// on pair i turns it by θ_i/f (checked against float64 math on one pair).
func TestRoPEFactors(t *testing.T) {
	const nHeads, headDim, pos = 2, 8, 7
	x := make([]float32, nHeads*headDim)
	for i := range x {
		x[i] = float32(i%5) - 1.5
	}
	for _, mode := range []RoPEMode{RoPENormal, RoPENeoX} {
		a, b := append([]float32(nil), x...), append([]float32(nil), x...)
		RoPE(a, nHeads, headDim, headDim, pos, 10000, 1, mode)
		RoPEFactors(b, nHeads, headDim, headDim, pos, 10000, 1, []float32{1, 1, 1, 1}, mode)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%v: factors of 1 differ from RoPE at %d: %v vs %v", mode, i, b[i], a[i])
			}
		}
	}
	// Pair 1 (dims 2, 3 in normal mode) with factor 4: θ = pos·10000^(-2/8)/4.
	b := append([]float32(nil), x...)
	RoPEFactors(b, nHeads, headDim, headDim, pos, 10000, 1, []float32{1, 4, 1, 1}, RoPENormal)
	th := pos * math.Pow(10000, -0.25) / 4
	wa := float64(x[2])*math.Cos(th) - float64(x[3])*math.Sin(th)
	wb := float64(x[2])*math.Sin(th) + float64(x[3])*math.Cos(th)
	if math.Abs(float64(b[2])-wa) > 1e-5 || math.Abs(float64(b[3])-wb) > 1e-5 {
		t.Errorf("pair 1 with factor 4: (%v, %v), want (%v, %v)", b[2], b[3], wa, wb)
	}
}

// TestRoPETableFactors: RoPETable with factors + RoPERotate gives
// RoPEFactors' bits at every position, in both pairings.
func TestRoPETableFactors(t *testing.T) {
	const nHeads, headDim, ropeDim, nTok, pos0 = 3, 8, 8, 5, 11
	factors := []float32{1, 1.7, 4, 8}
	x := make([]float32, nTok*nHeads*headDim)
	for i := range x {
		x[i] = float32(i%7) - 2.5
	}
	cos, sin := make([]float32, nTok*ropeDim/2), make([]float32, nTok*ropeDim/2)
	RoPETable(cos, sin, pos0, ropeDim, 500000, 0.5, factors)
	for _, mode := range []RoPEMode{RoPENormal, RoPENeoX} {
		a := append([]float32(nil), x...)
		RoPERotate(a, cos, sin, nTok, nHeads, headDim, ropeDim, mode)
		for tk := 0; tk < nTok; tk++ {
			b := append([]float32(nil), x[tk*nHeads*headDim:(tk+1)*nHeads*headDim]...)
			RoPEFactors(b, nHeads, headDim, ropeDim, pos0+tk, 500000, 0.5, factors, mode)
			for i, v := range b {
				if a[tk*nHeads*headDim+i] != v {
					t.Fatalf("%v token %d [%d]: table %v, RoPEFactors %v", mode, tk, i, a[tk*nHeads*headDim+i], v)
				}
			}
		}
	}
}
