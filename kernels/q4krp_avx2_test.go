//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// TestQ4KRPAVX2Tiles holds the AVX2 row-lane tiles (rowsQ4KRP with VNNI
// off) to dotQ4KRPRef bit for bit: 2..20 tokens (around every chunk size
// of the even split over calls of at most 4), row ranges lo..hi that start
// and end off the 8- and 16-row boundaries, 8..64 rows and a few thousand,
// 1..4 blocks, and extreme d/dmin, all-63 scales and mins, ±127 quants.
func TestQ4KRPAVX2Tiles(t *testing.T) {
	if !haveKQuantAsm {
		t.Skip("no AVX2/FMA/F16C")
	}
	defer func(v, k, a bool) { useVNNI, useKQuant512, useQ4KRPAVX2 = v, k, a }(useVNNI, useKQuant512, useQ4KRPAVX2)
	useVNNI, useKQuant512, useQ4KRPAVX2 = false, false, true
	r := rand.New(rand.NewPCG(7, 9))
	k := LookupQKernel(quant.Q4_K)
	type shape struct{ rows, nb int }
	shapes := []shape{{8, 1}, {16, 2}, {24, 1}, {40, 3}, {64, 4}, {56, 2}, {2056, 1}}
	for _, sh := range shapes {
		for _, ext := range []bool{false, true} {
			w := q4KRPBlocks(r, sh.rows*sh.nb, ext)
			toks := []int{2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 16, 17, 20}
			if sh.rows > 64 {
				toks = []int{2, 5, 8, 13}
			}
			xq := q8KRPBlocks(r, 20*sh.nb, ext)
			cols := sh.nb * qkK
			for _, nTok := range toks {
				ranges := [][2]int{{0, sh.rows}}
				for i := 0; i < 3; i++ {
					lo := r.IntN(sh.rows)
					hi := lo + 1 + r.IntN(sh.rows-lo)
					ranges = append(ranges, [2]int{lo, hi})
				}
				if sh.rows >= 9+17 {
					ranges = append(ranges, [2]int{3, sh.rows - 5}, [2]int{9, 9 + 17})
				}
				for _, lh := range ranges {
					lo, hi := lh[0], lh[1]
					want := make([]float32, nTok*sh.rows)
					got := make([]float32, nTok*sh.rows)
					for i := range want {
						want[i] = float32(i)
						got[i] = float32(i)
					}
					rowsQ4KRef(want, w, xq, nTok, sh.rows, cols, lo, hi, dotQ4KRef)
					k.Rows(got, w, xq, nTok, sh.rows, cols, lo, hi)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
							t.Fatalf("rows=%d nb=%d ext=%v nTok=%d lo..hi=%d..%d: out[tok %d, row %d] = %v, want %v",
								sh.rows, sh.nb, ext, nTok, lo, hi, i/sh.rows, i%sh.rows, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkQ4KRPAVX2 times the Q4_K Rows of a repacked matrix (768 rows,
// 768 columns) on an AVX2-only CPU (VNNI off) with the AVX2 row-lane tiles
// (tile) and with rowsKQ's dotQ4KRPAVX2x4 (x4), for 2..8 tokens.
func BenchmarkQ4KRPAVX2(b *testing.B) {
	if !haveKQuantAsm {
		b.Skip("no AVX2/FMA/F16C")
	}
	defer func(v, k, a bool) { useVNNI, useKQuant512, useQ4KRPAVX2 = v, k, a }(useVNNI, useKQuant512, useQ4KRPAVX2)
	useVNNI, useKQuant512 = false, false
	r := rand.New(rand.NewPCG(1, 2))
	k := LookupQKernel(quant.Q4_K)
	const rows, cols = 768, 768
	nb := cols / qkK
	w := q4KRPBlocks(r, rows*nb, false)
	for _, nTok := range []int{2, 4, 8} {
		xq := q8KRPBlocks(r, nTok*nb, false)
		out := make([]float32, nTok*rows)
		for _, tile := range []bool{true, false} {
			name := "x4"
			if tile {
				name = "tile"
			}
			b.Run(fmt.Sprintf("%s/tok=%d", name, nTok), func(b *testing.B) {
				useQ4KRPAVX2 = tile
				for b.Loop() {
					k.Rows(out, w, xq, nTok, rows, cols, 0, rows)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows*nTok), "ns/pair")
			})
		}
	}
}
