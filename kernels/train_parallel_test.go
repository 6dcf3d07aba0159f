package kernels

import (
	"math"
	"sync/atomic"
	"testing"
)

// TestParallelFor checks that the ranges cover 0..n-1 exactly once, also
// when nested and with n = 0.
func TestParallelFor(t *testing.T) {
	defer SetThreads(0)
	for _, threads := range []int{1, 3} {
		SetThreads(threads)
		for _, n := range []int{0, 1, 7, 1000, 100000} {
			seen := make([]atomic.Int32, n)
			ParallelFor(n, 4, func(lo, hi int) {
				ParallelFor(hi-lo, 1<<14, func(a, b int) {
					for i := lo + a; i < lo+b; i++ {
						seen[i].Add(1)
					}
				})
			})
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("threads %d n %d: index %d visited %d times", threads, n, i, c)
				}
			}
		}
	}
}

// TestExpInPlace holds ExpInPlace, with and without assembly, to math.Exp.
func TestExpInPlace(t *testing.T) {
	defer func(u bool) { useAsm = u }(useAsm)
	for _, asm := range []bool{false, useAsm} {
		useAsm = asm
		var xs []float32
		for x := float32(-86); x <= 88; x += 0.0131 {
			xs = append(xs, x)
		}
		got := append([]float32(nil), xs...)
		ExpInPlace(got)
		for i, x := range xs {
			want := math.Exp(float64(x))
			if rel := math.Abs(float64(got[i])-want) / want; rel > expMaxErr*0x1p-24 {
				t.Fatalf("asm %v: ExpInPlace(%v) = %v, want %v (relative error %g)", asm, x, got[i], want, rel)
			}
		}
	}
}
