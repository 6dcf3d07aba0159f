package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestArgmaxFinite: the first index of the largest element, for lengths
// around the 4-lane loop, with ties (the lowest index wins, in any lane
// and in the tail), -0 = +0, random values, and
// -1, false for any NaN or +Inf.
func TestArgmaxFinite(t *testing.T) {
	negz := float32(math.Copysign(0, -1))
	cases := []struct {
		v    []float32
		want int
	}{
		{nil, -1},
		{[]float32{3}, 0},
		{[]float32{1, 2, 3}, 2},
		{[]float32{1, 5, 5, 5, 5, 5, 5}, 1},
		{[]float32{1, 2, 3, 4, 9, 1, 9, 9, 9}, 4},
		{[]float32{1, 2, 3, 4, 0, 1, 2, 3, 9}, 8},
		{[]float32{-1, -2, -3, -4, -5, -6, 7, 7}, 6},
		{[]float32{-1, -2, negz, -4, 0, -6, 0}, 2},
		{[]float32{-1, 0, negz, -4, 0, -6, 0}, 1},
		{[]float32{-3, -2, -1, -1, -4}, 2},
		{[]float32{0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, 7},
	}
	for _, c := range cases {
		if got, ok := ArgmaxFinite(c.v); got != c.want || ok != (c.want >= 0) {
			t.Errorf("ArgmaxFinite(%v) = %d, %v, want %d", c.v, got, ok, c.want)
		}
	}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		for n := 1; n <= 9; n++ {
			for p := 0; p < n; p++ {
				v := make([]float32, n)
				v[p] = bad
				got, ok := ArgmaxFinite(v)
				switch {
				case bad < 0 && ok && got != argmaxRef(v): // -Inf may pass; then the answer is right
					t.Fatalf("ArgmaxFinite(%v) = %d, true, want %d", v, got, argmaxRef(v))
				case !(bad < 0) && (ok || got != -1):
					t.Fatalf("ArgmaxFinite(%v) = %d, %v, want -1, false", v, got, ok)
				}
			}
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range 2000 {
		v := make([]float32, 1+rng.Intn(70))
		for i := range v {
			v[i] = float32(rng.Intn(7) - 3) // many ties
		}
		if got, _ := ArgmaxFinite(v); got != argmaxRef(v) {
			t.Fatalf("ArgmaxFinite(%v) = %d, want %d", v, got, argmaxRef(v))
		}
	}
}

// argmaxRef is the first index of the largest element of v, element by
// element.
func argmaxRef(v []float32) int {
	best := -1
	for i, x := range v {
		if best < 0 || x > v[best] {
			best = i
		}
	}
	return best
}
