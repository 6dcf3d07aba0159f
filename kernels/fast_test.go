package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// u is the unit roundoff of float32.
const u = 1.0 / (1 << 24)

// dotBound returns the exact dot product (float64; the products of two
// float32 are exact in float64, and the sum's own error is far below
// float32's) and the error bound γ_{n+1}·Σ|a_i·b_i|, γ_k = k·u/(1-k·u), that
// holds for any order of float32 summation of float32 (or fused) products
// (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1). FMA only
// removes product roundings, and the 8-lane/4-accumulator order of the
// assembly kernel is one such order, so this bound needs no fudge factor; at
// n = 300 it is about 1.8e-5 relative to Σ|a_i·b_i|, i.e. ~6e-8·n.
func dotBound(a, b []float32) (exact, bound float64) {
	var abs float64
	for i := range a {
		p := float64(a[i]) * float64(b[i])
		exact += p
		abs += math.Abs(p)
	}
	k := float64(len(a) + 1)
	return exact, k * u / (1 - k*u) * abs
}

// TestDotFastVsRef holds the fast dot product (assembly where the CPU has
// AVX2+FMA) to the exact result at every length 0..300 and every pair of
// start offsets 0..7 (unaligned sub-slices), and checks the reference with
// the same bound.
func TestDotFastVsRef(t *testing.T) {
	t.Logf("assembly kernels in use: %v (AVX2+FMA: %v)", useAsm, haveAVX2FMA)
	rng := rand.New(rand.NewPCG(3, 4))
	bufA, bufB := randF32(rng, 320), randF32(rng, 320)
	for n := 0; n <= 300; n++ {
		for offA := 0; offA < 8; offA++ {
			for _, offB := range []int{0, 1, 3, 7, offA} {
				a, b := bufA[offA:offA+n], bufB[offB:offB+n]
				exact, bound := dotBound(a, b)
				if got := dotFast(a, b); math.Abs(float64(got)-exact) > bound {
					t.Fatalf("n=%d offsets %d,%d: dotFast = %v, exact %v, |Δ| %g > bound %g",
						n, offA, offB, got, exact, math.Abs(float64(got)-exact), bound)
				}
				if got := Dot(a, b); math.Abs(float64(got)-exact) > bound {
					t.Fatalf("n=%d offsets %d,%d: Dot = %v, exact %v, bound %g", n, offA, offB, got, exact, bound)
				}
			}
		}
	}
	// Exact on small integers whatever the order.
	for n := 0; n <= 300; n++ {
		a, b := make([]float32, n), make([]float32, n)
		var want float32
		for i := range a {
			a[i], b[i] = float32(i%7-3), float32(i%5-2)
			want += a[i] * b[i]
		}
		if got := dotFast(a, b); got != want {
			t.Fatalf("n=%d integers: dotFast = %v, want %v", n, got, want)
		}
	}
}

// TestDotRowsBitIdentical checks the multi-row kernel gives each row exactly
// dotFast's bits, for 0..19 rows of every length 0..300 at unaligned offsets.
func TestDotRowsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	bufW, bufX := randF32(rng, 19*300+8), randF32(rng, 308)
	for n := 0; n <= 300; n++ {
		for _, rows := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 19} {
			off := (n + rows) % 8
			w, x := bufW[off:off+rows*n], bufX[7-off:7-off+n]
			out := make([]float32, rows)
			dotRows(out, w, x)
			for r := range out {
				if want := dotFast(w[r*n:(r+1)*n], x); math.Float32bits(out[r]) != math.Float32bits(want) {
					t.Fatalf("n=%d rows=%d row %d: dotRows %v, dotFast %v", n, rows, r, out[r], want)
				}
			}
		}
	}
	// A NaN or Inf in one row stays in that row, at every position.
	for _, n := range []int{7, 8, 33, 45, 71} {
		for p := 0; p < n; p++ {
			for _, v := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
				w, x := make([]float32, 3*n), make([]float32, n)
				for i := range w {
					w[i] = 1
				}
				for i := range x {
					x[i] = 0.5
				}
				w[n+p] = v
				out := make([]float32, 3)
				dotRows(out, w, x)
				mid := float64(out[1])
				if (math.IsNaN(float64(v)) && !math.IsNaN(mid)) || (!math.IsNaN(float64(v)) && !math.IsInf(mid, -1)) ||
					out[0] != float32(n)/2 || out[2] != float32(n)/2 {
					t.Fatalf("n=%d %v at row 1 col %d: %v", n, v, p, out)
				}
			}
		}
	}
}

// TestDotFastNaNInf puts NaN and ±Inf at every position of several lengths
// (4-accumulator body, 8-wide steps, scalar tail) and checks they propagate
// as in IEEE arithmetic: NaN → NaN, one +Inf → +Inf, +Inf and -Inf → NaN.
func TestDotFastNaNInf(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 45, 64, 71} {
		for p := 0; p < n; p++ {
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i], b[i] = 1, 0.5
			}
			a[p] = nan
			if got := dotFast(a, b); !math.IsNaN(float64(got)) {
				t.Fatalf("n=%d NaN at %d: %v", n, p, got)
			}
			a[p] = inf
			if got := dotFast(a, b); !math.IsInf(float64(got), 1) {
				t.Fatalf("n=%d +Inf at %d: %v", n, p, got)
			}
			b[p] = -1
			if got := dotFast(a, b); !math.IsInf(float64(got), -1) {
				t.Fatalf("n=%d +Inf·-1 at %d: %v", n, p, got)
			}
			b[p] = 0 // Inf·0 = NaN
			if got := dotFast(a, b); !math.IsNaN(float64(got)) {
				t.Fatalf("n=%d Inf·0 at %d: %v", n, p, got)
			}
			b[p] = 1
			q := (p + 1 + n/2) % n
			if q != p {
				a[q] = -inf
				if got := dotFast(a, b); !math.IsNaN(float64(got)) {
					t.Fatalf("n=%d +Inf at %d, -Inf at %d: %v", n, p, q, got)
				}
			}
		}
	}
}

// withThreads runs f with the worker pool set to n goroutines.
func withThreads(t *testing.T, n int, f func()) {
	t.Helper()
	SetThreads(n)
	defer SetThreads(0)
	if got := Threads(); got != n {
		t.Fatalf("Threads() = %d after SetThreads(%d)", got, n)
	}
	f()
}

// TestMatVecMatMulVsRef holds MatVec and MatMul to the reference per
// element (bound as in dotBound), on odd shapes and unaligned sub-slices,
// and MatMul of each token to MatVec bit for bit.
func TestMatVecMatMulVsRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range []struct{ rows, cols, nTok int }{
		{1, 1, 1}, {3, 7, 2}, {5, 31, 3}, {17, 33, 5}, {64, 64, 4}, {40, 300, 3}, {300, 129, 2}, {1, 0, 2}, {0, 5, 1},
		{13, 771, 7}, {9, 8, 6}, {4, 5, 3}, {37, 1000, 4},
	} {
		for _, off := range []int{0, 1, 5} {
			w := randF32(rng, s.rows*s.cols+off)[off:]
			x := randF32(rng, s.nTok*s.cols+off)[off:]
			out := make([]float32, s.nTok*s.rows)
			MatMul(out, w, x, s.nTok, s.rows, s.cols)
			for tk := 0; tk < s.nTok; tk++ {
				xt := x[tk*s.cols : (tk+1)*s.cols]
				mv := make([]float32, s.rows)
				MatVec(mv, w, xt)
				ref := make([]float32, s.rows)
				matVecRef(ref, w, xt)
				for r := range mv {
					if mv[r] != out[tk*s.rows+r] {
						t.Fatalf("%v off %d: MatMul[%d,%d] = %v, MatVec %v", s, off, tk, r, out[tk*s.rows+r], mv[r])
					}
					exact, bound := dotBound(w[r*s.cols:(r+1)*s.cols], xt)
					if d := math.Abs(float64(mv[r]) - exact); d > bound || math.Abs(float64(ref[r])-exact) > bound {
						t.Fatalf("%v off %d row %d: MatVec %v ref %v exact %v bound %g", s, off, r, mv[r], ref[r], exact, bound)
					}
				}
			}
		}
	}
}

// TestThreadsBitIdentical checks MatVec, MatMul, MatMulQ8_0 and MatMulQ4_0
// give the same bits with 1, 2 and 3 threads on shapes big enough to be
// split (work is split by rows only, never reduced across threads).
func TestThreadsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const rows, cols, nTok = 301, 1024, 3 // MatVec splits in 2, MatMul in 3
	if rows*cols < 2*minChunkWork {
		t.Fatalf("%dx%d is too small for the pool to split", rows, cols)
	}
	w, x := randF32(rng, rows*cols), randF32(rng, nTok*cols)
	wq8 := make([]byte, rows*cols/QK*Q8_0BlockBytes)
	for r := 0; r < rows; r++ {
		QuantizeRowQ8_0(wq8[r*cols/QK*Q8_0BlockBytes:(r+1)*cols/QK*Q8_0BlockBytes], w[r*cols:(r+1)*cols])
	}
	wq4 := make([]byte, rows*cols/QK*Q4_0BlockBytes)
	for i := range wq4 {
		wq4[i] = byte(rng.Uint32())
		if i%Q4_0BlockBytes == 1 {
			wq4[i] = 0x2c // fp16 scale ≈ 0.06, finite
		}
	}
	run := func() [][]float32 {
		mv, mm := make([]float32, rows), make([]float32, nTok*rows)
		q8, q4 := make([]float32, nTok*rows), make([]float32, nTok*rows)
		MatVec(mv, w, x[:cols])
		MatMul(mm, w, x, nTok, rows, cols)
		MatMulQ8_0(q8, wq8, x, nTok, rows, cols)
		MatMulQ4_0(q4, wq4, x, nTok, rows, cols)
		return [][]float32{mv, mm, q8, q4}
	}
	var want [][]float32
	withThreads(t, 1, func() { want = run() })
	for _, n := range []int{2, 3} {
		withThreads(t, n, func() {
			got := run()
			for k, name := range []string{"MatVec", "MatMul", "MatMulQ8_0", "MatMulQ4_0"} {
				for i := range got[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s threads=%d [%d] = %v, threads=1 %v", name, n, i, got[k][i], want[k][i])
					}
				}
			}
		})
	}
	// The Q8_0 matrix product still equals the reference dot per row.
	xq := make([]byte, cols/QK*Q8_0BlockBytes)
	QuantizeRowQ8_0(xq, x[:cols])
	for r := 0; r < rows; r++ {
		if got := DotQ8_0(wq8[r*len(xq):(r+1)*len(xq)], xq); got != want[2][r] {
			t.Fatalf("MatMulQ8_0[0,%d] = %v, DotQ8_0 %v", r, want[2][r], got)
		}
	}
}

// TestSetThreadsCapped checks an absurd thread count is capped, not obeyed.
func TestSetThreadsCapped(t *testing.T) {
	SetThreads(1 << 40)
	defer SetThreads(0)
	if got := Threads(); got != MaxThreads {
		t.Fatalf("Threads() = %d after SetThreads(1<<40), want %d", got, MaxThreads)
	}
}

// TestParallelRowsCover checks the row split covers every row exactly once,
// uses more than one range when the work is big enough, and one when small.
func TestParallelRowsCover(t *testing.T) {
	withThreads(t, 3, func() {
		for _, s := range []struct{ rows, work, wantRanges int }{
			{1000, 1000, 3}, {2, 1 << 20, 2}, {10, 64, 1}, {0, 100, 1}, {64, minChunkWork / 64, 1}, {64, 2 * minChunkWork / 64, 2},
		} {
			var mu sync.Mutex
			seen := make([]int, s.rows)
			ranges := 0
			parallelRows(s.rows, s.work, func(lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				ranges++
				for r := lo; r < hi; r++ {
					seen[r]++
				}
			})
			for r, c := range seen {
				if c != 1 {
					t.Fatalf("%v: row %d done %d times", s, r, c)
				}
			}
			if ranges != s.wantRanges {
				t.Errorf("%v: %d ranges, want %d", s, ranges, s.wantRanges)
			}
		}
	})
}

// TestConcurrentCallers runs MatVec from several goroutines at once on a
// 2-thread pool; each must get its own, correct result.
func TestConcurrentCallers(t *testing.T) {
	withThreads(t, 2, func() {
		rng := rand.New(rand.NewPCG(9, 10))
		const rows, cols = 256, 512
		w := randF32(rng, rows*cols)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			x := randF32(rng, cols)
			want := make([]float32, rows)
			withoutPool(func() { MatVec(want, w, x) })
			wg.Add(1)
			go func() {
				defer wg.Done()
				for it := 0; it < 20; it++ {
					out := make([]float32, rows)
					MatVec(out, w, x)
					for r := range out {
						if out[r] != want[r] {
							errs <- fmt.Errorf("goroutine %d iteration %d row %d: %v, want %v", g, it, r, out[r], want[r])
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	})
}

// withoutPool runs f on the calling goroutine alone.
func withoutPool(f func()) {
	old := defaultPool.Swap(newPool(1))
	defer defaultPool.Store(old)
	f()
}

// TestFallbackMatchesRef turns the assembly off: MatVec must then equal the
// reference bit for bit (the path taken without AVX2/FMA or with -tags purego).
func TestFallbackMatchesRef(t *testing.T) {
	old := useAsm
	useAsm = false
	defer func() { useAsm = old }()
	rng := rand.New(rand.NewPCG(11, 12))
	w, x := randF32(rng, 37*53), randF32(rng, 53)
	got, want := make([]float32, 37), make([]float32, 37)
	MatVec(got, w, x)
	matVecRef(want, w, x)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
		}
	}
}

// TestGemmBitIdentical checks the register-tiled product gives every
// element exactly dotFast's bits, for 0..70 rows, 0..8 tokens, every length
// 0..40 and long ones, row and token strides longer than the rows,
// unaligned starts, and a NaN and an Inf among the weights.
func TestGemmBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	lengths := []int{64, 100, 255, 771, 1025, 1029, 1500, 2048}
	for n := 0; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for _, s := range [][2]int{{1, 1}, {4, 3}, {5, 4}, {8, 2}, {13, 8}, {3, 7}, {12, 6}, {0, 3}, {4, 0}, {70, 4}} {
			nr, nt := s[0], s[1]
			ws, xs, os := n+rng.IntN(3), n+rng.IntN(9), nr+rng.IntN(2)
			offW, offX := rng.IntN(8), rng.IntN(8)
			w := randF32(rng, offW+nr*ws+1)[offW:]
			x := randF32(rng, offX+nt*xs+1)[offX:]
			if n > 1 && nr > 2 {
				w[ws+rng.IntN(n)] = float32(math.NaN())
				w[2*ws+rng.IntN(n)] = float32(math.Inf(1))
			}
			out := make([]float32, nt*os+1)
			gemm(out, os, w, ws, x, xs, n, nr, nt)
			for tk := 0; tk < nt; tk++ {
				for r := 0; r < nr; r++ {
					want := dotFast(w[r*ws:r*ws+n], x[tk*xs:tk*xs+n])
					if got := out[tk*os+r]; math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
						t.Fatalf("n=%d rows=%d tokens=%d strides %d,%d,%d: [%d,%d] = %v, dotFast %v", n, nr, nt, ws, xs, os, tk, r, got, want)
					}
				}
			}
		}
	}
}
