package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func randF32(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// benchThreads are the worker-pool sizes the matrix benchmarks run with. They
// are set with SetThreads, not `go test -cpu`: with b.Loop, Go 1.26 measures
// the whole loop before applying -cpu's GOMAXPROCS.
var benchThreads = []int{1, 2}

// BenchmarkMatVec sweeps real shapes (stories260K's 64, llama2.c 15M's 288,
// 7B's 4096) and reports GFLOP/s (2·rows·cols per call).
func BenchmarkMatVec(b *testing.B) {
	defer SetThreads(0)
	for _, s := range []struct{ rows, cols int }{{64, 64}, {288, 288}, {768, 288}, {4096, 4096}} {
		for _, th := range benchThreads {
			b.Run(fmt.Sprintf("%dx%d/threads=%d", s.rows, s.cols, th), func(b *testing.B) {
				SetThreads(th)
				rng := rand.New(rand.NewPCG(1, 1))
				w, x, out := randF32(rng, s.rows*s.cols), randF32(rng, s.cols), make([]float32, s.rows)
				b.SetBytes(int64(4 * s.rows * s.cols))
				for b.Loop() {
					MatVec(out, w, x)
				}
				b.ReportMetric(2*float64(s.rows*s.cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkMatMul measures prompt-shaped products (nTok tokens against a
// weight matrix) and reports GFLOP/s (2·nTok·rows·cols per call).
func BenchmarkMatMul(b *testing.B) {
	defer SetThreads(0)
	for _, s := range []struct{ nTok, rows, cols int }{{64, 768, 288}, {64, 2048, 2048}} {
		for _, th := range benchThreads {
			b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", s.nTok, s.rows, s.cols, th), func(b *testing.B) {
				SetThreads(th)
				rng := rand.New(rand.NewPCG(1, 1))
				w, x, out := randF32(rng, s.rows*s.cols), randF32(rng, s.nTok*s.cols), make([]float32, s.nTok*s.rows)
				for b.Loop() {
					MatMul(out, w, x, s.nTok, s.rows, s.cols)
				}
				b.ReportMetric(2*float64(s.nTok*s.rows*s.cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
