package kernels

// ParallelFor calls fn(lo, hi) for contiguous ranges that cover 0..n-1,
// spread over the kernels' worker pool (SetThreads), and returns when all
// are done. workPerItem is a rough cost of one item in multiply-adds (or
// elements touched): ranges are never smaller than the pool's minimum
// worthwhile chunk, so small loops run on the caller alone. fn must write
// only what its range owns; then results do not depend on the thread count,
// as every item is computed whole by one goroutine with the same code.
// It may be nested (fn may call MatMul or ParallelFor): every job's caller
// runs the chunks no worker has claimed.
func ParallelFor(n, workPerItem int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	parallelRows(n, workPerItem, fn)
}
