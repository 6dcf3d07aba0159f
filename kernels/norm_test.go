package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// swigluMaxErr bounds SwiGLU's fast path against swigluRef in units of u,
// relative: exp within expMaxErr·u of math.Exp's float32, whose effect on
// SiLU = x/(1+e) is at most that (e/(1+e) < 1), and one rounding each of
// 1+e, the division and the product with up in both paths (3u each).
const swigluMaxErr = expMaxErr + 6

// TestSwiGLUFast holds SwiGLU (assembly where the CPU has AVX2+FMA) to
// swigluRef at every length 0..40 and on gates over [-100, 100] plus
// specials: within swigluMaxErr·u relative, or 1e-35·|up| absolute where
// SiLU is below 1e-36 (gates under -88, where the exp is clamped); NaN and
// ±Inf where the reference has them.
func TestSwiGLUFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	var gate, up []float32
	for range 20000 {
		gate = append(gate, float32(rng.Float64()*200-100))
		up = append(up, float32(rng.NormFloat64()))
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	specials := []float32{0, float32(math.Copysign(0, -1)), nan, inf, -inf, -88, -88.5, -88.7228, -88.72284, -88.72285, -89, -1e30, 1e30, 88.7, 1e-30, -1e-30, 16, -16, 3.5}
	for _, g := range specials {
		for _, v := range []float32{1, -2.5, 0, inf, nan} {
			gate, up = append(gate, g), append(up, v)
		}
	}
	var worst float64
	check := func(gate, up []float32) {
		got, want := make([]float32, len(gate)), make([]float32, len(gate))
		SwiGLU(got, gate, up)
		swigluRef(want, gate, up)
		for i := range got {
			g, w := float64(got[i]), float64(want[i])
			if math.IsNaN(g) != math.IsNaN(w) || (math.IsInf(w, 0) || math.IsInf(g, 0)) && g != w {
				t.Fatalf("SwiGLU(gate %v, up %v) = %v, reference %v", gate[i], up[i], g, w)
			}
			if math.IsNaN(w) || math.IsInf(w, 0) {
				continue
			}
			d := math.Abs(g - w)
			if d > swigluMaxErr*u*math.Abs(w)+1e-35*math.Abs(float64(up[i])) {
				t.Fatalf("SwiGLU(gate %v, up %v) = %v, reference %v: %.2f u", gate[i], up[i], g, w, d/math.Abs(w)/u)
			}
			if w != 0 && gate[i] > -88 {
				worst = max(worst, d/math.Abs(w)/u)
			}
		}
	}
	check(gate, up)
	for n := 0; n <= 40; n++ {
		check(gate[3:3+n], up[5:5+n])
	}
	t.Logf("worst relative error %.2f u (assembly: %v)", worst, useAsm)
	// in place, as Forward calls it
	g2 := append([]float32(nil), gate[:100]...)
	want := make([]float32, 100)
	SwiGLU(want, g2, up[:100])
	SwiGLU(g2, g2, up[:100])
	for i := range want {
		if math.Float32bits(g2[i]) != math.Float32bits(want[i]) {
			t.Fatalf("in place: out[%d] = %v, want %v", i, g2[i], want[i])
		}
	}
}
