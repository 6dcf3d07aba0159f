//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// BenchmarkPackedDecode: one token (and 8: a server's batched step)
// through a 110M model's Q4_0 matrices (12 layers and the 32000-row
// output, 64 MB: streamed from DRAM) on one and two goroutines, and one through 8 FFN down matrices of a 1B model
// (2048×5632, 52 MB, long rows), with rowsQ4RP on the file bytes (rp) and
// rowsPacked on PackQ's layout with the tiles prefetching 512 to 16384 bytes
// ahead (pk-N; pk-0: none).
func BenchmarkPackedDecode(b *testing.B) {
	if !haveVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	r := rand.New(rand.NewPCG(7, 8))
	type mat struct {
		rows, cols int
		w          []byte
		p          *PackedQ
	}
	mk := func(rows, cols int) mat {
		w := randBlocks(r, rows*cols/QK, Q4_0BlockBytes, 8)
		return mat{rows, cols, w, packQ4(w, rows, cols)}
	}
	var small, long []mat
	for range 12 {
		for _, sh := range [][2]int{{768, 768}, {768, 768}, {768, 768}, {768, 768}, {2048, 768}, {2048, 768}, {768, 2048}} {
			small = append(small, mk(sh[0], sh[1]))
		}
	}
	small = append(small, mk(32000, 768))
	for range 8 {
		long = append(long, mk(2048, 5632))
	}
	xs := map[int][]byte{}
	for _, c := range []int{768, 2048, 5632} {
		xs[c] = randBlocks(r, 8*c/QK, Q8_0BlockBytes, 127)
	}
	out := make([]float32, 8*32000)
	defer func(pf, pf1 int) { q4pkPrefetch, q4pkPrefetch1 = pf, pf1 }(q4pkPrefetch, q4pkPrefetch1)
	for _, set := range []struct {
		name string
		ms   []mat
		gs   []int
		nTok int
	}{{"110m", small, []int{1, 2}, 1}, {"110m-8tok", small, []int{1, 2}, 8}, {"1b-down", long, []int{1}, 1}} {
		for _, g := range set.gs {
			for _, pf := range []int{-1, 0, 512, 1024, 2048, 4096, 8192, 16384} {
				name := "rp"
				if pf >= 0 {
					name = fmt.Sprintf("pk-%d", pf)
				}
				b.Run(fmt.Sprintf("%s/%s/g=%d", set.name, name, g), func(b *testing.B) {
					q4pkPrefetch, q4pkPrefetch1 = pf, pf
					run := func(half, second bool) {
						for _, m := range set.ms {
							a, z := 0, m.rows
							if half {
								if second {
									a = m.rows / 2 &^ 15
								} else {
									z = m.rows / 2 &^ 15
								}
							}
							if pf < 0 {
								rowsQ4RP(out, m.w, xs[m.cols], set.nTok, m.rows, m.cols, a, z)
							} else {
								rowsPacked(out[:set.nTok*m.rows], m.p, xs[m.cols], set.nTok, a, z)
							}
						}
					}
					for b.Loop() {
						if g == 1 {
							run(false, false)
							continue
						}
						var wg sync.WaitGroup
						wg.Go(func() { run(true, true) })
						run(true, false)
						wg.Wait()
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
				})
			}
		}
	}
}

// BenchmarkPackQ: PackQ of a 1B model's FFN matrix (2048×5632, 6.5 MB).
func BenchmarkPackQ(b *testing.B) {
	if !canPackQ4() {
		b.Skip("PackQ packs nothing here")
	}
	r := rand.New(rand.NewPCG(11, 12))
	const rows, cols = 2048, 5632
	w := randBlocks(r, rows*cols/QK, Q4_0BlockBytes, 8)
	for b.Loop() {
		PackQ(quant.Q4_0, w, rows, cols)
	}
	b.SetBytes(int64(len(w)))
}

// BenchmarkPackedRows: 1, 2, 4 and 8 tokens through a 256×768 Q4_0 matrix
// in L2, one goroutine: rowsQ4RP (pack per call + q4rpTileN) against
// rowsPacked (q4pkTileN), in ns per row × token pair.
func BenchmarkPackedRows(b *testing.B) {
	if !canPackQ4() {
		b.Skip("PackQ packs nothing here")
	}
	r := rand.New(rand.NewPCG(13, 14))
	const rows, cols = 256, 768
	w := randBlocks(r, rows*cols/QK, Q4_0BlockBytes, 8)
	p := packQ4(w, rows, cols)
	xq := randBlocks(r, 8*cols/QK, Q8_0BlockBytes, 127)
	out := make([]float32, 8*rows)
	for _, nTok := range []int{1, 2, 4, 8} {
		for _, packed := range []bool{false, true} {
			b.Run(fmt.Sprintf("tok=%d/packed=%v", nTok, packed), func(b *testing.B) {
				for b.Loop() {
					if packed {
						rowsPacked(out, p, xq, nTok, 0, rows)
					} else {
						rowsQ4RP(out, w, xq, nTok, rows, cols, 0, rows)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows*nTok), "ns/pair")
			})
		}
	}
}
