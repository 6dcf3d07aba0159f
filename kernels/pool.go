package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A pool of persistent worker goroutines that the matrix kernels split their
// rows across. There is one pool per process (SetThreads); no goroutine is
// started per operation. A job is published in hot (polled by workers for
// spinFor after their last job) and sent on jobs to parked workers; the
// caller runs chunks too, so progress never waits for a worker. Work is only
// ever split by output rows, each row computed whole by one goroutine with
// the same code, so results do not depend on the thread count.
type pool struct {
	threads int
	auto    bool                // threads follows runtime.GOMAXPROCS (SetThreads(0), the default)
	hot     atomic.Pointer[job] // the latest job, for workers that are spinning
	parked  atomic.Int32        // workers blocked on jobs (or about to be)
	jobs    chan *job           // parked workers wait here
	mu      sync.RWMutex        // held for reading while a job is offered; close takes it for writing
	closed  bool
	done    atomic.Bool // set by close; spinning workers exit
}

// job is one parallel loop: chunks 0..n-1 of fn, claimed through next by the
// caller and by any worker that picks the job up.
type job struct {
	fn       func(chunk int)
	n        int64
	next     atomic.Int64
	finished atomic.Int64
}

// run claims and runs chunks until none is left.
func (j *job) run() {
	for {
		c := j.next.Add(1) - 1
		if c >= j.n {
			return
		}
		j.fn(int(c))
		j.finished.Add(1)
	}
}

// spinFor is how long a worker keeps polling for the next job after one
// ends before it parks: waking a parked goroutine costs 0.5-1 µs or more,
// a spinning one ~0.2 µs (/work/shared/MACHINE-LIMITS.md, syncbench). The
// poll yields the processor (runtime.Gosched) every spinYieldEvery rounds,
// or every round with GOMAXPROCS 1, so a spinning worker never starves other
// goroutines.
const spinFor = 50 * time.Microsecond

// spinYieldEvery is how many polls of an atomic a spinning worker (with
// GOMAXPROCS > 1) or a caller waiting for its chunks makes between
// runtime.Gosched calls (about 1 µs of polling).
const spinYieldEvery = 256

func newPool(threads int) *pool {
	auto := threads < 1
	if auto {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, MaxThreads)
	p := &pool{threads: threads, auto: auto, jobs: make(chan *job, threads)}
	for i := 1; i < threads; i++ {
		go p.worker()
	}
	return p
}

// worker runs jobs until the pool is closed: it polls p.hot for spinFor
// after each job, then parks on p.jobs.
func (p *pool) worker() {
	var last *job
	for {
		start := time.Now()
		// With a processor to spare the poll is a plain load loop that
		// yields only every spinYieldEvery rounds: runtime.Gosched on every
		// round took the scheduler's lock and woke idle processors, 18% of
		// the CPU time of a 2-thread decode.
		every := 1
		if runtime.GOMAXPROCS(0) > 1 {
			every = spinYieldEvery
		}
		for i := 1; ; i++ {
			if j := p.hot.Load(); j != nil && j != last {
				last = j
				j.run()
				start, i = time.Now(), 0
				continue
			}
			if i%every != 0 {
				continue
			}
			if p.done.Load() {
				return
			}
			if time.Since(start) > spinFor {
				break
			}
			runtime.Gosched()
		}
		// Park. Announce it first, then look once more, so that a job
		// stored in hot before the announcement is seen here and one stored
		// after it finds parked > 0 and is sent on jobs.
		p.parked.Add(1)
		if j := p.hot.Load(); j != nil && j != last {
			p.parked.Add(-1)
			last = j
			j.run()
			continue
		}
		j, ok := <-p.jobs
		p.parked.Add(-1)
		if !ok {
			return
		}
		last = j
		j.run()
	}
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
	p.mu.RLock()
	if !p.closed {
		p.hot.Store(j)
		// Wake as many parked workers as there are chunks for (stale
		// wake-ups only find a finished job).
		wake := min(int(p.parked.Load()), n-1)
	offer:
		for i := 0; i < wake; i++ {
			select {
			case p.jobs <- j:
			default:
				break offer
			}
		}
	}
	p.mu.RUnlock()
	j.run()
	for i := 1; j.finished.Load() < j.n; i++ {
		if i%spinYieldEvery == 0 {
			runtime.Gosched()
		}
	}
}

// Parallel calls fn(0), …, fn(n-1), spread over the worker pool's
// goroutines (the caller runs some of them too), and returns when all have
// returned; with one thread, or n < 2, it calls them in order on the
// caller. It is for independent pieces of a few µs each (a batch's
// per-row norms, per-sequence steps) that would otherwise run on one
// goroutine between the matrix products while the workers wait: fn(i)
// must not depend on any fn(j) having run. Pieces are claimed one at a
// time, so they may differ in size. A call allocates a small job record
// (and nothing else when fn is a method value kept across calls).
func Parallel(n int, fn func(i int)) {
	getPool(false).parallel(n, fn)
}

// close stops the workers once they finish the jobs they hold.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		p.done.Store(true)
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
// Workers poll for the next job for 50 µs after each one (yielding the
// processor between polls), then park.
func SetThreads(n int) {
	if old := defaultPool.Swap(newPool(n)); old != nil {
		old.close()
	}
}

// Threads returns the number of goroutines the matrix kernels use.
func Threads() int { return getPool(true).threads }

// minChunkWork is the least number of multiply-adds worth handing to another
// goroutine (~1-2 µs of AVX2 work). Measured on the 2-vCPU box with spinning
// workers, 2 threads ran 288x288 (83k multiply-adds) at 70 GFLOP/s against 51
// on one, 768x288 at 85 against 46; with workers that always parked, splitting
// those was slower than not (43 and 40 GFLOP/s).
const minChunkWork = 1 << 15

// chunksPerThread is how many row ranges per thread parallelRows cuts big
// work into; the pool's goroutines claim them as they go. More ranges than
// threads keep the split even when a goroutine starts late or its OS thread
// is descheduled (the other vCPU busy with another process): the caller then
// waits at most for the one small range that goroutine holds, not for half
// of the matrix.
const chunksPerThread = 4

// parallelRows splits rows into at most chunksPerThread·Threads()
// contiguous ranges of at least minChunkWork/workPerRow rows and calls
// fn(lo, hi) for each, on the pool's goroutines. Range bounds are multiples
// of 4 rows when every range still has at least 4 (the 4-row kernels then
// never get a ragged edge); the split never changes a result, as every row
// is computed whole by the same code.
func parallelRows(rows, workPerRow int, fn func(lo, hi int)) {
	parallelRowsAfter(0, nil, rows, workPerRow, fn)
}

// parallelRowsAfter is parallelRows that first calls pre(0), …,
// pre(nPre-1) (independent pieces, such as the conversion of a product's
// activations, which every range reads) in the same job: the pieces are
// claimed first, by whichever goroutines pick the job up, and a goroutine
// that claims a range waits until every piece has returned. One hand-off
// instead of two, and the pieces are shared instead of run by the caller
// while the workers wait. Without a split everything runs in order on the
// caller.
func parallelRowsAfter(nPre int, pre func(i int), rows, workPerRow int, fn func(lo, hi int)) {
	if workPerRow < 1 {
		workPerRow = 1
	}
	// Only work big enough to split pays for the GOMAXPROCS check.
	p := getPool(rows*workPerRow >= 2*minChunkWork)
	n := p.threads * chunksPerThread
	if maxN := rows * workPerRow / minChunkWork; maxN < n {
		n = maxN
	}
	if n > rows {
		n = rows
	}
	if n <= 1 || p.threads <= 1 {
		for i := range nPre {
			pre(i)
		}
		fn(0, rows)
		return
	}
	mask := -1
	if rows >= 4*n {
		mask = -4
	}
	// Guided sizes when the work is cut into chunksPerThread (4) ranges
	// a thread: the first round of ranges (one a thread) holds half the
	// rows, the next a quarter, the last two an eighth each. A range of
	// the last round is 1/(8·threads) of the rows, half of an even
	// split's, so the goroutine that finishes first waits for at most
	// that much work of another, with as many ranges (and per-range
	// setup) as an even split. Measured on a decode step of 8 sequences
	// (bench-110m-q4_0, 2 threads): the caller's wait for the last range
	// went from 430-690 to 250-350 µs a step.
	guided := n == p.threads*chunksPerThread && chunksPerThread == 4
	bound := func(c int) int {
		if c >= n {
			return rows
		}
		if !guided {
			return (rows * c / n) & mask
		}
		// weights 4, 2, 1, 1 for the ranges of rounds 0..3, of 8·threads
		t := p.threads
		g, k := c/t, c%t
		cum := [4]int{0, 4 * t, 6 * t, 7 * t}[g] + k*[4]int{4, 2, 1, 1}[g]
		return (rows * cum / (8 * t)) & mask
	}
	if nPre == 0 {
		p.parallel(n, func(c int) {
			if lo, hi := bound(c), bound(c+1); lo < hi {
				fn(lo, hi)
			}
		})
		return
	}
	var done atomic.Int64
	p.parallel(nPre+n, func(c int) {
		if c < nPre {
			pre(c)
			done.Add(1)
			return
		}
		// Every piece was claimed before this range (claims go in
		// order), by a goroutine that is running it.
		for i := 1; done.Load() < int64(nPre); i++ {
			if i%spinYieldEvery == 0 {
				runtime.Gosched()
			}
		}
		if lo, hi := bound(c-nPre), bound(c-nPre+1); lo < hi {
			fn(lo, hi)
		}
	})
}
