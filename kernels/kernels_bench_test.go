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

// BenchmarkMatVec sweeps real shapes (stories260K's 64, llama2.c 15M's 288,
// 7B's 4096) and reports GFLOP/s (2·rows·cols per call).
func BenchmarkMatVec(b *testing.B) {
	for _, s := range []struct{ rows, cols int }{{64, 64}, {288, 288}, {768, 288}, {4096, 4096}} {
		b.Run(fmt.Sprintf("%dx%d", s.rows, s.cols), func(b *testing.B) {
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
