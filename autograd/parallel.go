package autograd

import "github.com/llmpipe/llmpipe/kernels"

// Elementwise loops are split over the kernels' worker pool in ranges of
// whole elements (or whole rows for row-wise ops): each element is computed
// by the same code whichever goroutine runs it, so results are bit-for-bit
// the same for every thread count.

// elemWork is the cost ParallelFor is told per element of a cheap
// elementwise loop (an add or a multiply-add); transcendental loops pass
// more.
const elemWork = 1

// parFor runs fn over ranges of 0..n-1 on the worker pool (kernels.ParallelFor).
func parFor(n, work int, fn func(lo, hi int)) { kernels.ParallelFor(n, work, fn) }

// addPar is kernels.Add(dst, x) split over the pool.
func addPar(dst, x []float32) {
	x = x[:len(dst)]
	parFor(len(dst), elemWork, func(lo, hi int) { kernels.Add(dst[lo:hi], x[lo:hi]) })
}

// addRowsPar adds the row vector b [d] to every row of y [n, d].
func addRowsPar(y, b []float32, n, d int) {
	parFor(n, d, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			kernels.Add(y[t*d:(t+1)*d], b)
		}
	})
}

// colSumsAddPar adds the column sums of dy [n, d] to g [d]: g[j] += dy[0, j],
// then dy[1, j], … in row order (the order of a row-by-row kernels.Add loop),
// split over the pool by columns.
func colSumsAddPar(g, dy []float32, n, d int) {
	parFor(d, n, func(lo, hi int) {
		gs := g[lo:hi]
		for t := 0; t < n; t++ {
			kernels.Add(gs, dy[t*d+lo:t*d+hi])
		}
	})
}
