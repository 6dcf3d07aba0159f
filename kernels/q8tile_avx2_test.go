//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"

	"github.com/llmpipe/llmpipe/quant"
)

// withoutVNNI runs f with the VNNI kernels off (what an AVX2-only CPU
// runs: Q8_0 Rows takes rowsQ8W16) and restores useVNNI afterwards.
func withoutVNNI(t testing.TB, f func()) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA: the tiles do not run")
	}
	defer func(v bool) { useVNNI = v }(useVNNI)
	useVNNI = false
	f()
}

// TestQ8TileRows holds Q8_0 Rows on the AVX2 path (rowsQ8W16: 2 × 4 tiles,
// 2 × 1..3 for the last tokens, DotQ8_0 for a last odd row) to DotQ8_0 bit
// for bit, and DotQ8_0 to ggml's AVX2 order written in Go, for 2..20
// tokens, row ranges [lo, hi) of odd and even ends and lengths, -128
// weights, NaN and Inf scales, and activations in [-127, 127] (what Q8_0
// quantization produces).
func TestQ8TileRows(t *testing.T) {
	withoutVNNI(t, func() {
		r := rand.New(rand.NewPCG(31, 41))
		k := LookupQKernel(quant.Q8_0)
		for _, cols := range []int{32, 96, 768} {
			nb := cols / QK
			const rows = 11
			w := randBlocks(r, rows*nb, Q8_0BlockBytes, 128)
			w[2], w[Q8_0BlockBytes+5] = 0x80, 0x80 // -128 weights
			if nb > 1 {
				b := 3*nb*Q8_0BlockBytes + Q8_0BlockBytes
				w[b], w[b+1] = 0x00, 0x7c       // an Inf scale (fp16 0x7c00)
				w[5*nb*Q8_0BlockBytes+1] = 0x7e // a NaN scale
			}
			for nTok := 2; nTok <= 20; nTok++ {
				xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
				want := make([]float32, nTok*rows)
				for tk := range nTok {
					xt := xq[tk*nb*Q8_0BlockBytes : (tk+1)*nb*Q8_0BlockBytes]
					for j := range rows {
						wr := w[j*nb*Q8_0BlockBytes : (j+1)*nb*Q8_0BlockBytes]
						want[tk*rows+j] = DotQ8_0(wr, xt)
						if g := dotQ8_0AVX2Go(wr, xt); !sameFloat(g, want[tk*rows+j]) {
							t.Fatalf("cols %d tok %d row %d: DotQ8_0 %v, ggml's AVX2 order %v", cols, tk, j, want[tk*rows+j], g)
						}
					}
				}
				for _, lh := range [][2]int{{0, rows}, {0, 2}, {1, 10}, {2, 11}, {3, 9}, {0, 8}, {5, 7}, {4, 5}} {
					lo, hi := lh[0], lh[1]
					got := make([]float32, nTok*rows)
					for i := range got {
						got[i] = -1
					}
					k.Rows(got, w, xq, nTok, rows, cols, lo, hi)
					for tk := range nTok {
						for j := range rows {
							g, wt := got[tk*rows+j], want[tk*rows+j]
							if j < lo || j >= hi {
								wt = -1
							}
							if !sameFloat(g, wt) {
								t.Fatalf("cols %d, %d tokens, rows [%d,%d): [tok %d row %d] = %v, Dot %v", cols, nTok, lo, hi, tk, j, g, wt)
							}
						}
					}
				}
			}
		}
	})
}

// TestQ8TileBlocks: with several blocks of rows (q8W16RowBlock), several
// blocks of tokens (q8W16TokBlockBytes) and more tokens than one chunk of
// widened activations holds (rowsTokenBytes), every element of Rows on
// the AVX2 path still equals DotQ8_0.
func TestQ8TileBlocks(t *testing.T) {
	withoutVNNI(t, func() {
		r := rand.New(rand.NewPCG(7, 8))
		k := LookupQKernel(quant.Q8_0)
		for _, s := range []struct{ nTok, rows, cols, lo, hi int }{
			{rowsTokenBytes/(128*64) + 7, 5, 4096, 0, 5},
			{13, 75, 2048, 3, 72},
			{37, 70, 96, 0, 70},
			{6, 67, 768, 1, 66},
		} {
			nb := s.cols / QK
			rb := nb * Q8_0BlockBytes
			w := randBlocks(r, s.rows*nb, Q8_0BlockBytes, 128)
			xq := randBlocks(r, s.nTok*nb, Q8_0BlockBytes, 127)
			got := make([]float32, s.nTok*s.rows)
			k.Rows(got, w, xq, s.nTok, s.rows, s.cols, s.lo, s.hi)
			for tk := range s.nTok {
				for j := s.lo; j < s.hi; j++ {
					if want := DotQ8_0(w[j*rb:(j+1)*rb], xq[tk*rb:(tk+1)*rb]); !sameFloat(got[tk*s.rows+j], want) {
						t.Fatalf("%+v: [tok %d row %d] = %v, Dot %v", s, tk, j, got[tk*s.rows+j], want)
					}
				}
			}
		}
	})
}

// TestQ8TileKernels calls each 2-row tile directly, rows and tokens at odd
// strides (unaligned weights), and checks each element against
// q8DotAVX2, with q8W16DTabAVX2's products against dw·dx.
func TestQ8TileKernels(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, nb := range []int{1, 2, 7, 64} {
		stride, xstride := nb*Q8_0BlockBytes+3, nb*Q8_0BlockBytes+5
		w := randBlocks(r, (2*stride+Q8_0BlockBytes-1)/Q8_0BlockBytes, Q8_0BlockBytes, 128)
		xq := randBlocks(r, (4*xstride+Q8_0BlockBytes-1)/Q8_0BlockBytes, Q8_0BlockBytes, 127)
		xb := make([]byte, 4*nb*64+32)
		xw := xb[int(-uintptr(unsafe.Pointer(&xb[0]))&31):]
		ts := make([]float32, nb)
		dx := make([]float32, 8*nb)
		for tk := range 4 {
			q8W16XAVX2(&xw[tk*nb*64], &xq[tk*xstride], nb)
			scalesQ8AVX2(&xq[tk*xstride], nb, &ts[0])
			for b := range nb {
				dx[8*b+tk], dx[8*b+4+tk] = ts[b], ts[b]
			}
		}
		d := make([]float32, 8*nb)
		q8W16DTabAVX2(&w[0], stride, nb, &dx[0], 1, &d[0])
		for b := range nb {
			for j := range 2 {
				dw := blockScale(w[j*stride+b*Q8_0BlockBytes:])
				for tk := range 4 {
					if want := dw * dx[8*b+tk]; !sameFloat(d[8*b+4*j+tk], want) {
						t.Fatalf("nb %d: d[block %d row %d tok %d] = %v, want %v", nb, b, j, tk, d[8*b+4*j+tk], want)
					}
				}
			}
		}
		const ostride = 7 // floats between tokens' outputs
		for nt := 1; nt <= 4; nt++ {
			out := make([]float32, 4*ostride)
			q8W16Tiles[nt](&w[0], stride, &xw[0], nb*64, nb, &out[0], 4*ostride, &d[0], 0)
			for tk := range 4 {
				for j := range ostride {
					want := float32(0)
					if tk < nt && j < 2 {
						want = q8DotAVX2(&w[j*stride], &xq[tk*xstride], nb)
					}
					if g := out[tk*ostride+j]; !sameFloat(g, want) {
						t.Fatalf("2×%d nb %d [tok %d, %d] = %v, want %v", nt, nb, tk, j, g, want)
					}
				}
			}
		}
	}
}

// BenchmarkQ8TileRows compares, on one thread, Q8_0 Rows on the AVX2 path
// before the tiles (rowsQ: 4 × 2 calls of q8Dot4x2AVX2) and with them
// (rowsQ8W16), on the 110M model's shapes: 4 and 8 tokens (a server's
// batched decode step) and prompts of 64 and 256 tokens. It reports GB/s of weights and
// cpuGOP/s (per second of the thread's CPU time, the steadier number on a
// shared machine; it is counted in scheduler ticks, so let each run last
// a second or more).
func BenchmarkQ8TileRows(b *testing.B) {
	if !haveAVX2FMA {
		b.Skip("no AVX2+FMA")
	}
	for _, s := range [][3]int{{8, 2048, 768}, {8, 768, 2048}, {8, 32000, 768}, {4, 2048, 768}, {64, 2048, 768}, {256, 2048, 768}, {256, 768, 2048}} {
		nTok, rows, cols := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(uint64(rows), uint64(cols)))
		w := benchQBlocks(r, quant.Q8_0, rows, cols)
		xq := randBlocks(r, nTok*cols/QK, Q8_0BlockBytes, 127)
		out := make([]float32, nTok*rows)
		for _, name := range []string{"rowsQ", "tiles"} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", name, nTok, rows, cols), func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				cpu0, cpuOK := threadCPUTime()
				for b.Loop() {
					if name == "tiles" {
						rowsQ8W16(out, w, xq, nTok, rows, cols, 0, rows)
					} else {
						rowsQ(out, w, xq, nTok, rows, cols, 0, rows, Q8_0BlockBytes, q8Dot4AVX2, q8Dot4x2AVX2, nil, DotQ8_0)
					}
				}
				ops := 2 * float64(nTok*rows*cols) * float64(b.N)
				b.ReportMetric(float64(len(w))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				if cpu1, ok := threadCPUTime(); cpuOK && ok && cpu1 > cpu0 {
					b.ReportMetric(ops/(cpu1-cpu0).Seconds()/1e9, "cpuGOP/s")
				}
			})
		}
	}
}
