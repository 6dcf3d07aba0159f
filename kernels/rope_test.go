package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRoPETableRotate checks that RoPETable + RoPERotate over a batch give
// RoPE's bits at every position, both modes, partial rotation, linear
// scaling and several bases, and that the angles follow ggml's order
// (freqScale applied after pos·s^i).
func TestRoPETableRotate(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, mode := range []RoPEMode{RoPENormal, RoPENeoX} {
		for _, c := range []struct {
			headDim, ropeDim int
			base, freqScale  float32
		}{{8, 8, 10000, 1}, {64, 64, 10000, 1}, {128, 64, 500000, 0.25}, {80, 80, 10000, 0.37}, {6, 2, 100, 1}} {
			const nTok, nHeads, pos0 = 37, 3, 1000
			x := randF32(rng, nTok*nHeads*c.headDim)
			want := append([]float32(nil), x...)
			for tk := 0; tk < nTok; tk++ {
				RoPE(want[tk*nHeads*c.headDim:(tk+1)*nHeads*c.headDim], nHeads, c.headDim, c.ropeDim, pos0+tk, c.base, c.freqScale, mode)
			}
			half := c.ropeDim / 2
			cos, sin := make([]float32, nTok*half), make([]float32, nTok*half)
			RoPETable(cos, sin, pos0, c.ropeDim, c.base, c.freqScale, nil)
			RoPERotate(x, cos, sin, nTok, nHeads, c.headDim, c.ropeDim, mode)
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v %+v: x[%d] = %v, RoPE %v", mode, c, i, x[i], want[i])
				}
			}
			// ggml: theta_scale = powf(base, -2.0f/n_dims); theta = p, then
			// theta *= theta_scale per pair; cos(freq_scale·theta).
			ts := float32(math.Pow(float64(c.base), float64(float32(-2)/float32(c.ropeDim))))
			theta := float32(pos0 + 5)
			for i := 0; i < half; i++ {
				if w := float32(math.Cos(float64(c.freqScale * theta))); cos[5*half+i] != w {
					t.Fatalf("%+v: cos θ_%d at %d = %v, want %v", c, i, pos0+5, cos[5*half+i], w)
				}
				theta *= ts
			}
		}
	}
}
