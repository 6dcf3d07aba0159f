//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"unsafe"
)

// BenchmarkQ4RPRows measures Q4_0 Rows on one goroutine at a 110M model's
// shapes: the repacked order's tiles (rp: rowsQ4RP) against the vec_dot
// order's VNNI path of before (vd: rowsQVNNI, row-lane tiles from 2
// tokens on, vnniQ4Dot4 for one token). ns/pair is per row × token ×
// block.
func BenchmarkQ4RPRows(b *testing.B) {
	if !haveVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][2]int{{768, 768}, {2048, 768}, {768, 2048}, {32000, 768}} {
		rows, cols := sh[0], sh[1]
		nb := cols / QK
		w := randBlocks(r, rows*nb, Q4_0BlockBytes, 8)
		for _, nTok := range []int{1, 2, 4, 8, 16, 64} {
			if rows == 32000 && nTok > 8 {
				continue
			}
			xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
			out := make([]float32, nTok*rows)
			for _, rp := range []bool{false, true} {
				name := "vd"
				if rp {
					name = "rp"
				}
				b.Run(fmt.Sprintf("%dx%d/tok=%d/%s", rows, cols, nTok, name), func(b *testing.B) {
					for b.Loop() {
						if rp {
							rowsQ4RP(out, w, xq, nTok, rows, cols, 0, rows)
						} else {
							rowsQVNNI(out, w, xq, nTok, rows, cols, 0, rows, Q4_0BlockBytes, true, q4Dot4AVX2, DotQ4_0Q8_0)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nTok*rows*nb), "ns/pair")
				})
			}
		}
	}
}

// BenchmarkQ4RPTile measures the repacked-order tiles alone, data in L1
// (24 blocks: 768 columns): ns per row × token × block pair; and the
// Q4_0 pack pass (ns per row × block).
func BenchmarkQ4RPTile(b *testing.B) {
	if !haveVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	const nb = 24
	r := rand.New(rand.NewPCG(5, 6))
	w := randBlocks(r, 16*nb, Q4_0BlockBytes, 8)
	pk := make([]byte, nb*ilGroupBytes)
	as := (nb + 1) * 64
	a := make([]byte, q4rpMaxTok*as)
	dx := make([]float32, q4rpMaxTok*nb)
	out := make([]float32, q4rpMaxTok*16)
	b.Run("pack", func(b *testing.B) {
		for b.Loop() {
			vnniILPackQ4(&pk[0], &w[0], nb*Q4_0BlockBytes, nb, 0)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(8*nb), "ns/rowblock")
	})
	for n := 1; n <= q4rpMaxTok; n++ {
		b.Run(fmt.Sprintf("tile%d", n), func(b *testing.B) {
			for b.Loop() {
				q4rpTiles[n](&pk[0], &a[0], as, nb, &out[0], 64, &dx[0], 4*nb, uintptr(unsafe.Pointer(&w[0])), 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(16*n*nb), "ns/pair")
		})
	}
}

// BenchmarkQ4RPDecode runs one token through the Q4_0 matrices of a 110M
// model (12 layers of 4 768×768, 2 2048×768 and 1 768×2048, then the
// 32000×768 head: 76 MB, streamed from DRAM) on one goroutine (g=1) or two
// (g=2, each half of every matrix's rows; out is shared, as in MatMulQ), with the
// repacked order's 1-token kernels (rp4, rp8, rp-avx2) and vec_dot's (vd:
// vnniQ4Dot4, vd-avx2: q4Dot4AVX2).
func BenchmarkQ4RPDecode(b *testing.B) {
	if !haveVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	r := rand.New(rand.NewPCG(7, 8))
	type mat struct {
		rows, cols int
		w          []byte
	}
	var ms []mat
	for range 12 {
		for _, sh := range [][2]int{{768, 768}, {768, 768}, {768, 768}, {768, 768}, {2048, 768}, {2048, 768}, {768, 2048}} {
			ms = append(ms, mat{sh[0], sh[1], randBlocks(r, sh[0]*sh[1]/QK, Q4_0BlockBytes, 8)})
		}
	}
	ms = append(ms, mat{32000, 768, randBlocks(r, 32000*768/QK, Q4_0BlockBytes, 8)})
	x768 := randBlocks(r, 768/QK, Q8_0BlockBytes, 127)
	x2048 := randBlocks(r, 2048/QK, Q8_0BlockBytes, 127)
	out := make([]float32, 32000)
	defer func() { q4rpUseDot4, useVNNI = false, haveVNNI }()
	for _, g := range []int{1, 2} {
		for i, name := range []string{"vd", "rp4", "rp8", "vd-avx2", "rp-avx2"} {
			b.Run(fmt.Sprintf("%s/g=%d", name, g), func(b *testing.B) {
				q4rpUseDot4, useVNNI = i != 2, i < 3
				run := func(lo, hi func(rows int) int) {
					for _, m := range ms {
						xq := x768
						if m.cols == 2048 {
							xq = x2048
						}
						a, z := lo(m.rows), hi(m.rows)
						switch i {
						case 0:
							rowsQVNNI(out, m.w, xq, 1, m.rows, m.cols, a, z, Q4_0BlockBytes, true, q4Dot4AVX2, DotQ4_0Q8_0)
						case 3:
							rowsQ(out, m.w, xq, 1, m.rows, m.cols, a, z, Q4_0BlockBytes, q4Dot4AVX2, q8Dot4x2AVX2, q4UnpackRowAVX2, DotQ4_0Q8_0)
						default:
							rowsQ4RP(out, m.w, xq, 1, m.rows, m.cols, a, z)
						}
					}
				}
				all := func(rows int) int { return rows }
				zero := func(rows int) int { return 0 }
				half := func(rows int) int { return rows / 2 &^ 7 }
				for b.Loop() {
					if g == 1 {
						run(zero, all)
						continue
					}
					var wg sync.WaitGroup
					wg.Go(func() { run(half, all) })
					run(zero, half)
					wg.Wait()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}

// BenchmarkQ4RPDecodeLong is BenchmarkQ4RPDecode for long rows: 8 FFN down
// matrices of a 1B model (2048×5632, 52 MB, streamed from DRAM) on one
// goroutine, one token, with vnniQ4Dot4 (vd), q4rpDot8 prefetching into L1
// (rp8-l1) and the default, q4rpDot8L2 (rp8).
func BenchmarkQ4RPDecodeLong(b *testing.B) {
	if !haveVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	r := rand.New(rand.NewPCG(9, 10))
	const rows, cols = 2048, 5632
	ws := make([][]byte, 8)
	for i := range ws {
		ws[i] = randBlocks(r, rows*cols/QK, Q4_0BlockBytes, 8)
	}
	xq := randBlocks(r, cols/QK, Q8_0BlockBytes, 127)
	out := make([]float32, rows)
	defer func(l1 int) { q4rpL1Row = l1 }(q4rpL1Row)
	l1 := q4rpL1Row
	for i, name := range []string{"vd", "rp8-l1", "rp8"} {
		b.Run(name, func(b *testing.B) {
			q4rpL1Row = l1
			if i == 1 {
				q4rpL1Row = 1 << 30
			}
			for b.Loop() {
				for _, w := range ws {
					if i == 0 {
						rowsQVNNI(out, w, xq, 1, rows, cols, 0, rows, Q4_0BlockBytes, true, q4Dot4AVX2, DotQ4_0Q8_0)
					} else {
						rowsQ4RP(out, w, xq, 1, rows, cols, 0, rows)
					}
				}
			}
			b.ReportMetric(float64(len(ws)*len(ws[0]))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
