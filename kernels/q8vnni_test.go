//go:build amd64 && !purego

package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// TestVNNIRowsVsAVX2: on a CPU with AVX-512 VNNI, the VNNI kernels (one
// Q4_0 token: vnniQ4Dot4; from 2 tokens: the row-lane tiles) give the same
// bits as the AVX2 tiles and as Dot for every element, for Q8_0 (weights
// with -128 included) and Q4_0, with token counts around tile and chunk
// edges and row ranges not multiples of 4. (Q4_0 matrices of rows%8 == 0
// take the repacked order of q4rp.go instead, tested there.)
func TestVNNIRowsVsAVX2(t *testing.T) {
	if !haveVNNI {
		t.Skip("no AVX-512 VNNI on this CPU: the AVX2 tiles run (tested by TestQ8Rows)")
	}
	defer func() { useVNNI = haveVNNI }()
	r := rand.New(rand.NewPCG(21, 22))
	for _, typ := range []quant.Type{quant.Q8_0, quant.Q4_0} {
		k := LookupQKernel(typ)
		bb := typ.TypeSize()
		dot := DotQ8_0
		if typ == quant.Q4_0 {
			dot = DotQ4_0Q8_0
		}
		// {nTok, rows, cols}: 1 block, odd tokens, a chunk boundary
		// (rowsTokenBytes / (64·nb) tokens at 8192 columns), long rows
		for _, s := range [][3]int{{1, 4, 32}, {1, 9, 2048}, {2, 6, 96}, {3, 13, 256}, {4, 4, 32}, {5, 7, 64}, {8, 12, 96}, {11, 9, 256}, {13, 5, 2048}, {130, 6, 8192}, {9, 17, 4096}} {
			nTok, rows, cols := s[0], s[1], s[2]
			nb := cols / QK
			w := randBlocks(r, rows*nb, bb, 128)
			xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
			for _, lh := range [][2]int{{0, rows}, {1, rows}, {rows % 4, rows}, {0, rows - rows%4}} {
				lo, hi := lh[0], lh[1]
				var got [2][]float32
				for i, v := range []bool{false, true} {
					useVNNI = v
					got[i] = make([]float32, nTok*rows)
					k.Rows(got[i], w, xq, nTok, rows, cols, lo, hi)
				}
				useVNNI = haveVNNI
				for tk := 0; tk < nTok; tk++ {
					for j := lo; j < hi; j++ {
						want := dot(w[j*nb*bb:(j+1)*nb*bb], xq[tk*nb*Q8_0BlockBytes:(tk+1)*nb*Q8_0BlockBytes])
						a, v := got[0][tk*rows+j], got[1][tk*rows+j]
						if !sameFloat(a, want) || !sameFloat(v, want) {
							t.Fatalf("%v %v rows [%d,%d) tok %d row %d: AVX2 %v, VNNI %v, Dot %v", typ, s, lo, hi, tk, j, a, v, want)
						}
					}
				}
			}
		}
	}
}
