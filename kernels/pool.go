package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// A pool of persistent worker goroutines that the matrix kernels split their
// rows across. There is one pool per process (SetThreads); no goroutine is
// started per operation. Work is only ever split by output rows, each row
// computed whole by one goroutine with the same code, so results do not
// depend on the thread count.
type pool struct {
	threads int
	auto    bool         // threads follows runtime.GOMAXPROCS (SetThreads(0), the default)
	jobs    chan *job    // idle workers wait here
	mu      sync.RWMutex // held for reading while a job is offered; close takes it for writing
	closed  bool
}

// job is one parallel loop: chunks 0..n-1 of fn, claimed through next by the
// caller and by any worker that picks the job up.
type job struct {
	fn   func(chunk int)
	n    int64
	next atomic.Int64
	wg   sync.WaitGroup
}

// run claims and runs chunks until none is left.
func (j *job) run() {
	for {
		c := j.next.Add(1) - 1
		if c >= j.n {
			return
		}
		j.fn(int(c))
		j.wg.Done()
	}
}

func newPool(threads int) *pool {
	auto := threads < 1
	if auto {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, MaxThreads)
	p := &pool{threads: threads, auto: auto, jobs: make(chan *job, threads)}
	for i := 1; i < threads; i++ {
		go func() {
			for j := range p.jobs {
				j.run()
			}
		}()
	}
	return p
}

// parallel runs fn(0), …, fn(n-1), spread over up to p.threads goroutines
// (the caller is one of them), and returns when all are done. Chunks
// that no worker has claimed are run by the caller, so a busy pool never
// blocks progress.
func (p *pool) parallel(n int, fn func(chunk int)) {
	if n <= 1 || p.threads <= 1 {
		for c := 0; c < n; c++ {
			fn(c)
		}
		return
	}
	j := &job{fn: fn, n: int64(n)}
	j.wg.Add(n)
	p.mu.RLock()
	if !p.closed {
	offer:
		for i := 1; i < p.threads && i < n; i++ {
			select {
			case p.jobs <- j:
			default:
				break offer
			}
		}
	}
	p.mu.RUnlock()
	j.run()
	j.wg.Wait()
}

// close stops the workers once they finish the jobs they hold.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
}

var defaultPool atomic.Pointer[pool]

// getPool returns the process-wide pool, made on first use. A default
// (GOMAXPROCS) pool is remade when checkProcs is set and GOMAXPROCS has
// changed since, so that `go test -cpu 1,2` benchmarks the thread counts.
func getPool(checkProcs bool) *pool {
	p := defaultPool.Load()
	if p != nil && (!checkProcs || !p.auto || p.threads == runtime.GOMAXPROCS(0)) {
		return p
	}
	q := newPool(0)
	if defaultPool.CompareAndSwap(p, q) {
		if p != nil {
			p.close()
		}
		return q
	}
	q.close()
	return defaultPool.Load()
}

// MaxThreads is the most goroutines SetThreads gives the matrix kernels;
// larger requests are capped (each worker is a parked goroutine).
const MaxThreads = 1024

// SetThreads sets how many goroutines the matrix kernels (MatVec, MatMul,
// MatMulQ8_0, MatMulQ4_0) split their output rows across; n < 1 means
// runtime.GOMAXPROCS(0), the default (followed if GOMAXPROCS changes later);
// n > MaxThreads means MaxThreads. It replaces the process-wide worker
// pool (the old one's workers exit after finishing their current work) and
// is meant to be called once at startup, e.g. from a --threads flag.
// Results are bit-for-bit the same for every n: work is split by rows only.
func SetThreads(n int) {
	if old := defaultPool.Swap(newPool(n)); old != nil {
		old.close()
	}
}

// Threads returns the number of goroutines the matrix kernels use.
func Threads() int { return getPool(true).threads }

// minChunkWork is the least number of multiply-adds worth handing to another
// goroutine. Waking a parked worker costs about 0.5-1 µs on an idle 2-vCPU
// box (/work/shared/MACHINE-LIMITS.md, syncbench) and several µs on a busy
// one; measured there, splitting 288x288 and 768x288 MatVecs (83k and 221k
// multiply-adds, 2-7 µs of AVX2 work) was slower with 2 threads than 1,
// 4096x4096 was 1.7x faster. 2^17 (~4 µs at 36 GFLOP/s) keeps those in one goroutine.
const minChunkWork = 1 << 17

// parallelRows splits rows into at most Threads() contiguous ranges of
// at least minChunkWork/workPerRow rows and calls fn(lo, hi) for each.
func parallelRows(rows, workPerRow int, fn func(lo, hi int)) {
	if workPerRow < 1 {
		workPerRow = 1
	}
	// Only work big enough to split pays for the GOMAXPROCS check.
	p := getPool(rows*workPerRow >= 2*minChunkWork)
	n := p.threads
	if maxN := rows * workPerRow / minChunkWork; maxN < n {
		n = maxN
	}
	if n > rows {
		n = rows
	}
	if n <= 1 {
		fn(0, rows)
		return
	}
	p.parallel(n, func(c int) {
		fn(rows*c/n, rows*(c+1)/n)
	})
}
