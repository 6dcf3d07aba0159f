package llama

import (
	"math"
	"testing"
)

// TestFirstNonFinite holds firstNonFinite's exponent-bit scan to the plain
// IsNaN/IsInf definition at every position of slices up to 41 long, among
// the finite values nearest to the edge (MaxFloat32, subnormals, -0).
func TestFirstNonFinite(t *testing.T) {
	want := func(v []float32) int {
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return i
			}
		}
		return -1
	}
	finite := []float32{0, float32(math.Copysign(0, -1)), 1, -2.5, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, math.Float32frombits(0x7f7fffff), math.Float32frombits(0x807fffff)}
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0xffc00001)}
	for n := 0; n <= 41; n++ {
		v := make([]float32, n)
		for i := range v {
			v[i] = finite[(i*7+n)%len(finite)]
		}
		if got := firstNonFinite(v); got != -1 {
			t.Fatalf("n=%d all finite: got %d", n, got)
		}
		for p := 0; p < n; p++ {
			for _, b := range bad {
				w := append([]float32(nil), v...)
				w[p] = b
				if p+3 < n {
					w[p+3] = b // a later one must not win
				}
				if got, exp := firstNonFinite(w), want(w); got != exp {
					t.Fatalf("n=%d %v at %d: got %d, want %d", n, b, p, got, exp)
				}
			}
		}
	}
}
