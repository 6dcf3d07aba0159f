package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// BenchmarkQ4KRowsRepacked times the Q4_K Rows of a 768×768 matrix (in
// L2) and a 32000×768 one (an output head) on one thread, all rows, for 1..16
// tokens; ns/pair is per row × token.
func BenchmarkQ4KRowsRepacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	k := LookupQKernel(quant.Q4_K)
	for _, sh := range [][2]int{{768, 768}, {32000, 768}} {
		rows, cols := sh[0], sh[1]
		nb := cols / qkK
		w := q4KRPBlocks(r, rows*nb, false)
		for _, nTok := range []int{1, 2, 4, 8, 16} {
			xq := q8KRPBlocks(r, nTok*nb, false)
			out := make([]float32, nTok*rows)
			b.Run(fmt.Sprintf("%dx%d/tok=%d", rows, cols, nTok), func(b *testing.B) {
				for b.Loop() {
					k.Rows(out, w, xq, nTok, rows, cols, 0, rows)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows*nTok), "ns/pair")
			})
		}
	}
}
