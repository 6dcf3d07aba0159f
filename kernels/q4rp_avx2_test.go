//go:build amd64 && !purego

package kernels

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestQ4RPAVX2Rows: with VNNI off, Rows of Q4_0 (the AVX2 tiles of
// q4rp_avx2_amd64.s from 2 tokens on) gives the repacked reference's bits
// for 2..20 tokens (every tile width and the chunk's spread), 8..48 rows
// (16-row groups and padded last groups, rows [lo, hi) not on group
// boundaries: parallelRows splits on multiples of 4) and 32..4096 columns,
// extreme values included.
func TestQ4RPAVX2Rows(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA on this CPU: the AVX2 tiles do not run")
	}
	defer func(v bool) { useVNNI = v }(useVNNI)
	useVNNI = false
	r := rand.New(rand.NewPCG(61, 62))
	for nTok := 2; nTok <= 20; nTok++ {
		for _, rows := range []int{8, 16, 24, 40, 48, 64} {
			cols := []int{32, 64, 160, 768}[(nTok+rows/8)%4]
			nb := cols / QK
			w := randBlocks(r, rows*nb, Q4_0BlockBytes, 8)
			xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
			const name = "avx2 tiles"
			checkQ4Rows(t, name, w, xq, nTok, rows, cols, 0, rows)
			checkQ4Rows(t, name, w, xq, nTok, rows, cols, 4, rows-3)
			checkQ4Rows(t, name, w, xq, nTok, rows, cols, 4, rows)
			checkQ4Rows(t, name, w, xq, nTok, rows, cols, 0, rows-1)
			checkQ4Rows(t, name, w, xq, nTok, rows, cols, 8, rows)
			checkQ4Rows(t, name, w, xq, nTok, rows, cols, rows/2, rows/2+3)
			we, xe := q4Extremes(r, rows, nTok, nb)
			checkQ4Rows(t, name+" extremes", we, xe, nTok, rows, cols, 0, rows)
			checkQ4Rows(t, name+" extremes", we, xe, nTok, rows, cols, 4, rows-1)
		}
	}
	for _, s := range [][3]int{{2, 32, 4096}, {8, 16, 4096}, {17, 24, 2048}, {3, 2064, 64}} {
		nb := s[2] / QK
		w := randBlocks(r, s[1]*nb, Q4_0BlockBytes, 8)
		xq := randBlocks(r, s[0]*nb, Q8_0BlockBytes, 127)
		checkQ4Rows(t, "avx2 tiles", w, xq, s[0], s[1], s[2], 0, s[1])
		checkQ4Rows(t, "avx2 tiles", w, xq, s[0], s[1], s[2], 12, s[1]-4)
	}
	// Token counts around the chunk of rows' converted activations
	// (rowsTokenBytes): a chunk must never be left with 1 token, which has
	// no AVX2 tile (a 64-token prompt through a 2048-column matrix was 63+1).
	for _, cols := range []int{2048, 4096} {
		nb := cols / QK
		chunk := rowsTokenBytes / ((nb + 1) * 64)
		for _, nTok := range []int{chunk - 1, chunk, chunk + 1, chunk + 2, 2*chunk + 1} {
			w := randBlocks(r, 16*nb, Q4_0BlockBytes, 8)
			xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
			checkQ4Rows(t, fmt.Sprintf("avx2 tiles, chunk %d", chunk), w, xq, nTok, 16, cols, 0, 16)
		}
	}
	// activations of -128 (not made by quantizeQ8_0, but the sums stay exact)
	nb := 4
	w := randBlocks(r, 16*nb, Q4_0BlockBytes, 8)
	xq := randBlocks(r, 3*nb, Q8_0BlockBytes, 127)
	for i := range xq {
		if i%Q8_0BlockBytes >= 2 {
			xq[i] = 0x80
		}
	}
	for i := range w {
		if i%Q4_0BlockBytes >= 2 {
			w[i] = []byte{0x00, 0xff}[i%2]
		}
	}
	checkQ4Rows(t, "avx2 tiles, x = -128", w, xq, 3, 16, nb*QK, 0, 16)
}

// TestQ4RPAVX2PackAct: q4rpAVX2Pack writes vnniILPackQ4's bytes, and
// q4rpActAVX2 (and q4rpActVNNI) q4rpActRef's.
func TestQ4RPAVX2PackAct(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA on this CPU")
	}
	r := rand.New(rand.NewPCG(63, 64))
	for _, nb := range []int{1, 2, 5, 24} {
		w := randBlocks(r, 16*nb, Q4_0BlockBytes, 8)
		got := make([]byte, nb*ilGroupBytes)
		want := make([]byte, nb*ilGroupBytes)
		q4rpAVX2Pack(&got[0], &w[0], nb*Q4_0BlockBytes, nb)
		vnniILPackQ4(&want[0], &w[0], nb*Q4_0BlockBytes, nb, 0)
		vnniILPackQ4(&want[32], &w[8*nb*Q4_0BlockBytes], nb*Q4_0BlockBytes, nb, 0)
		if !bytes.Equal(got, want) {
			t.Fatalf("q4rpAVX2Pack, %d blocks: differs from vnniILPackQ4", nb)
		}
		x := randBlocks(r, nb, Q8_0BlockBytes, 128)
		ga, wa := make([]byte, nb*64), make([]byte, nb*64)
		q4rpActAVX2(&ga[0], &x[0], nb)
		q4rpActRef(wa, x, nb)
		if !bytes.Equal(ga, wa) {
			t.Fatalf("q4rpActAVX2, %d blocks: differs from q4rpActRef", nb)
		}
		if haveVNNI {
			q4rpActVNNI(&ga[0], &x[0], nb)
			if !bytes.Equal(ga, wa) {
				t.Fatalf("q4rpActVNNI, %d blocks: differs from q4rpActRef", nb)
			}
		}
	}
}

// BenchmarkQ4RPAVX2Tile measures the AVX2 tiles alone, data in L1 (24
// blocks: 768 columns): ns per row × token × block; and the pack passes
// (ns per row × block): q4rpAVX2Pack against vnniILPackQ4.
func BenchmarkQ4RPAVX2Tile(b *testing.B) {
	if !haveAVX2FMA {
		b.Skip("no AVX2+FMA")
	}
	const nb = 24
	r := rand.New(rand.NewPCG(5, 6))
	w := randBlocks(r, 16*nb, Q4_0BlockBytes, 8)
	pk := make([]byte, nb*ilGroupBytes)
	as := (nb + 1) * 64
	a := make([]byte, q4rpAVX2MaxTok*as)
	dx := make([]float32, q4rpAVX2MaxTok*nb)
	out := make([]float32, q4rpAVX2MaxTok*16)
	b.Run("pack", func(b *testing.B) {
		for b.Loop() {
			q4rpAVX2Pack(&pk[0], &w[0], nb*Q4_0BlockBytes, nb)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(16*nb), "ns/rowblock")
	})
	b.Run("pack-il", func(b *testing.B) {
		for b.Loop() {
			vnniILPackQ4(&pk[0], &w[0], nb*Q4_0BlockBytes, nb, 0)
			vnniILPackQ4(&pk[32], &w[8*nb*Q4_0BlockBytes], nb*Q4_0BlockBytes, nb, 0)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(16*nb), "ns/rowblock")
	})
	for n := 2; n <= q4rpAVX2MaxTok; n++ {
		b.Run(fmt.Sprintf("tile%d", n), func(b *testing.B) {
			for b.Loop() {
				q4rpAVX2Tiles[n](&pk[0], &a[0], as, nb, &out[0], 64, &dx[0], 4*nb, uintptr(unsafe.Pointer(&w[0])), 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(16*n*nb), "ns/pair")
		})
	}
}

// BenchmarkQ4RPAVX2Rows measures Q4_0 Rows without VNNI on one goroutine
// at a 110M model's shapes: the AVX2 tiles (tiles: rowsQ4RPTiles with q4rpAVX2) against
// rowsQ4RP1 token by token (1tok: q4rpDot4AVX2, what rowsQ4RP did before
// for batches without VNNI). ns/pair is per row × token × block.
func BenchmarkQ4RPAVX2Rows(b *testing.B) {
	if !haveAVX2FMA {
		b.Skip("no AVX2+FMA")
	}
	defer func(v bool) { useVNNI = v }(useVNNI)
	useVNNI = false
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][2]int{{768, 768}, {2048, 768}, {768, 2048}, {32000, 768}} {
		rows, cols := sh[0], sh[1]
		nb := cols / QK
		w := randBlocks(r, rows*nb, Q4_0BlockBytes, 8)
		for _, nTok := range []int{2, 3, 4, 8, 16} {
			xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
			out := make([]float32, nTok*rows)
			for _, tiles := range []bool{false, true} {
				name := "1tok"
				if tiles {
					name = "tiles"
				}
				b.Run(fmt.Sprintf("%dx%d/tok=%d/%s", rows, cols, nTok, name), func(b *testing.B) {
					for b.Loop() {
						if tiles {
							rowsQ4RPTiles(&q4rpAVX2, out, w, xq, nTok, rows, cols, 0, rows)
						} else {
							for t := range nTok {
								rowsQ4RP1(out[t*rows:], w, xq[t*nb*Q8_0BlockBytes:], rows, cols, 0, rows)
							}
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nTok*rows*nb), "ns/pair")
				})
			}
		}
	}
}

// BenchmarkQ4RPAVX2RowsCold measures Q4_0 Rows without VNNI on one
// goroutine with the weights coming from DRAM, as in a model's step:
// matrices of rows×768 (56 MiB in all, more than the L3 a guest gets) taken
// in turn, each a Rows call of tok tokens; 384 rows is one of two threads'
// share of a 768-row matrix. ns/pair is per row × token × block.
func BenchmarkQ4RPAVX2RowsCold(b *testing.B) {
	if !haveAVX2FMA {
		b.Skip("no AVX2+FMA")
	}
	defer func(v bool) { useVNNI = v }(useVNNI)
	useVNNI = false
	const cols, total = 768, 56 << 20
	nb := cols / QK
	r := rand.New(rand.NewPCG(7, 8))
	w := randBlocks(r, total/Q4_0BlockBytes, Q4_0BlockBytes, 8)
	for _, rows := range []int{2048, 384} {
		wb := rows * nb * Q4_0BlockBytes
		mats := total / wb
		for _, nTok := range []int{4, 8, 16} {
			xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
			out := make([]float32, nTok*rows)
			b.Run(fmt.Sprintf("%dx%d/tok=%d", rows, cols, nTok), func(b *testing.B) {
				m := 0
				for b.Loop() {
					rowsQ4RPTiles(&q4rpAVX2, out, w[m*wb:(m+1)*wb], xq, nTok, rows, cols, 0, rows)
					m = (m + 1) % mats
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nTok*rows*nb), "ns/pair")
			})
		}
	}
}
