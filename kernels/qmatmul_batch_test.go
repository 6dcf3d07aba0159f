//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestQKernelsBatchTokenCounts: for every registered type, a batch of
// tokens gives each token's bits alone at token counts around the chunks
// the batch drivers cut a batch into (rowsTokenBytes of converted
// activations: a chunk of 1 token once crashed an AVX2 driver with no
// 1-token tile), over long rows and 16 rows (repacked Q4_0/Q4_K groups).
// The chunks are the amd64 drivers'; CI runs the kernels' tests also with
// GODEBUG=cpu.avx512f=off, which takes the AVX2-only ones.
func TestQKernelsBatchTokenCounts(t *testing.T) {
	const rows = 16
	for _, typ := range registeredTypes() {
		k := LookupQKernel(typ)
		bs := max(typ.BlockSize(), k.Act.BlockSize(), QK)
		for _, cols := range []int{2048, 4096} {
			if cols%bs != 0 {
				continue
			}
			chunk := rowsTokenBytes / ((cols/QK + 1) * 64)
			counts := []int{2, 3, 5, 8, 9, 17, chunk - 1, chunk, chunk + 1, chunk + 2}
			t.Run(fmt.Sprintf("%v/%d", typ, cols), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(typ), uint64(cols)))
				w, _ := randQuantMatrix(t, r, typ, rows, cols)
				maxTok := slices.Max(counts)
				x := make([]float32, maxTok*cols)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				one := make([]float32, maxTok*rows)
				for i := range maxTok {
					MatMulQ(one[i*rows:(i+1)*rows], typ, w, x[i*cols:(i+1)*cols], 1, rows, cols)
				}
				for _, n := range counts {
					got := make([]float32, n*rows)
					MatMulQ(got, typ, w, x[:n*cols], n, rows, cols)
					if !slices.Equal(got, one[:n*rows]) {
						t.Fatalf("%d tokens: the batch differs from each token alone", n)
					}
				}
			})
		}
	}
}
