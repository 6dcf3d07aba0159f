package kernels

import (
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
