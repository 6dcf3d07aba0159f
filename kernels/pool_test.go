package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestParallelRowsAfter: every piece of pre runs once, and before any
// range of fn starts; the ranges cover every row once; on 1 to 3 threads,
// for work big enough to split and too small to.
func TestParallelRowsAfter(t *testing.T) {
	for _, threads := range []int{1, 2, 3} {
		withThreads(t, threads, func() {
			for _, s := range []struct{ nPre, rows, work int }{
				{8, 1000, 1000}, {2, 144, 16 * 8 * 768}, {1, 48, 1 << 20}, {5, 10, 64}, {3, 0, 100}, {0, 300, 1 << 12},
			} {
				for range 20 {
					var pre atomic.Int64
					preRuns := make([]atomic.Int32, s.nPre)
					var mu sync.Mutex
					seen := make([]int, s.rows)
					var early atomic.Bool
					parallelRowsAfter(s.nPre, func(i int) {
						preRuns[i].Add(1)
						pre.Add(1)
					}, s.rows, s.work, func(lo, hi int) {
						if pre.Load() != int64(s.nPre) {
							early.Store(true)
						}
						mu.Lock()
						defer mu.Unlock()
						for r := lo; r < hi; r++ {
							seen[r]++
						}
					})
					for i := range preRuns {
						if n := preRuns[i].Load(); n != 1 {
							t.Fatalf("threads %d %v: piece %d ran %d times", threads, s, i, n)
						}
					}
					if early.Load() {
						t.Fatalf("threads %d %v: a range started before every piece was done", threads, s)
					}
					for r, c := range seen {
						if c != 1 {
							t.Fatalf("threads %d %v: row %d done %d times", threads, s, r, c)
						}
					}
				}
			}
		})
	}
}
