//go:build amd64 && !purego

package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// withoutTile38 runs f with the AVX-512VL tiles off (as on an AVX2-only
// CPU), so that 16-bit Rows take the AVX2 tiles.
func withoutTile38(f func()) {
	old := useTile38
	useTile38 = false
	defer func() { useTile38 = old }()
	f()
}

// TestHalfTileAVX2Bits holds F16 and BF16 Rows with the AVX2 tiles (the
// AVX-512VL tiles off) to the one-token Dot bit for bit, and to Rows with
// the AVX2 tiles off, for 1..20 tokens, 1..27 rows, row ranges that are
// not multiples of the tiles, row lengths that are and are not multiples
// of 8, and NaN/Inf/subnormal inputs.
func TestHalfTileAVX2Bits(t *testing.T) {
	if !haveHalfAsm {
		t.Skip("no F16C")
	}
	for _, h := range halfTypes {
		k := LookupQKernel(h.t)
		rng := rand.New(rand.NewPCG(71, uint64(h.t)))
		for _, n := range []int{8, 9, 15, 16, 24, 37, 64, 100, 773} {
			for _, special := range []bool{false, true} {
				const maxRows, maxTok = 27, 20
				w, x := randHalves(rng, h, maxRows*n, special), randHalves(rng, h, maxTok*n, special)
				if special {
					for i := 0; i < len(w); i += 2 {
						if rng.IntN(16) == 0 {
							v := []uint16{h.nan[rng.IntN(len(h.nan))], h.inf, h.inf | 0x8000}[rng.IntN(3)]
							w[i], w[i+1] = byte(v), byte(v>>8)
						}
					}
				}
				for nt := 1; nt <= maxTok; nt++ {
					for _, nr := range []int{1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 19, 27} {
						for _, lh := range [][2]int{{0, nr}, {nr / 3, nr - nr/4}, {1, nr}} {
							lo, hi := lh[0], min(lh[1], nr)
							if lo > hi {
								continue
							}
							checkHalfTileAVX2(t, k, fmt.Sprintf("%v n=%d special=%v nt=%d nr=%d rows %d..%d", h.t, n, special, nt, nr, lo, hi),
								w, x, nt, nr, n, lo, hi)
						}
					}
				}
			}
		}
	}
}

// TestHalfTileAVX2Blocks runs rows long enough that rowsTileAVX2 splits
// them into several blocks of rows (and its prefetch runs past the tiles).
func TestHalfTileAVX2Blocks(t *testing.T) {
	if !haveHalfAsm {
		t.Skip("no F16C")
	}
	for _, h := range halfTypes {
		k := LookupQKernel(h.t)
		rng := rand.New(rand.NewPCG(73, uint64(h.t)))
		for _, n := range []int{2053, 4104} {
			const nr = 41
			w, x := randHalves(rng, h, nr*n, true), randHalves(rng, h, 16*n, true)
			for _, nt := range []int{2, 3, 4, 5, 8, 13, 16} {
				checkHalfTileAVX2(t, k, fmt.Sprintf("%v n=%d nt=%d", h.t, n, nt), w, x, nt, nr, n, 1, nr-2)
			}
		}
	}
}

// checkHalfTileAVX2 runs k.Rows for nt tokens of x and rows lo..hi of the
// nr × n matrix w with the AVX2 tiles, and checks every element against
// k.Dot and Rows without the tiles (same bits; NaN payloads too) and that
// nothing outside lo..hi was written.
func checkHalfTileAVX2(t *testing.T, k *QKernel, what string, w, x []byte, nt, nr, n, lo, hi int) {
	t.Helper()
	got, off := make([]float32, nt*nr), make([]float32, nt*nr)
	for i := range got {
		got[i], off[i] = -7, -7
	}
	withoutTile38(func() {
		k.Rows(got, w, x, nt, nr, n, lo, hi)
		useTileAVX2 = false
		defer func() { useTileAVX2 = true }()
		k.Rows(off, w, x, nt, nr, n, lo, hi)
	})
	for tk := 0; tk < nt; tk++ {
		for r := 0; r < nr; r++ {
			g, o := got[tk*nr+r], off[tk*nr+r]
			if r < lo || r >= hi {
				if g != -7 {
					t.Fatalf("%s: wrote row %d of token %d", what, r, tk)
				}
				continue
			}
			want := k.Dot(w[2*r*n:2*(r+1)*n], x[2*tk*n:2*(tk+1)*n], n)
			if math.Float32bits(g) != math.Float32bits(want) || math.Float32bits(o) != math.Float32bits(want) {
				t.Fatalf("%s [%d,%d]: tile %v (%#x), off %v (%#x), Dot %v (%#x)", what, tk, r,
					g, math.Float32bits(g), o, math.Float32bits(o), want, math.Float32bits(want))
			}
		}
	}
}

// TestHalfTileAVX2Direct calls each tile directly with a row stride above
// the row length, token and output strides above the tile, and checks
// that it writes exactly its rows × tokens.
func TestHalfTileAVX2Direct(t *testing.T) {
	if !haveHalfAsm {
		t.Skip("no F16C")
	}
	for _, h := range halfTypes {
		k := LookupQKernel(h.t)
		tl := f16Kernel.tilesAVX2()
		if h.t == quant.BF16 {
			tl = bf16Kernel.tilesAVX2()
		}
		rng := rand.New(rand.NewPCG(75, uint64(h.t)))
		for _, n := range []int{8, 13, 40, 51} {
			ws, xs, os := n+5, (n+7)&^7+8, 9
			for nt := 2; nt <= 4; nt++ {
				nr := tl.rows[nt]
				w := randHalves(rng, h, nr*ws, true)
				xh := randHalves(rng, h, nt*xs, true)
				xf := make([]float32, nt*xs)
				for tk := 0; tk < nt; tk++ {
					for j := 0; j < n; j++ {
						xf[tk*xs+j] = h.toF32(binary.LittleEndian.Uint16(xh[2*(tk*xs+j):]))
					}
				}
				out := make([]float32, (nt+1)*os)
				for i := range out {
					out[i] = -7
				}
				tl.tile[nt](&w[0], 2*ws, &xf[0], xs, n, &out[0], os, 0)
				for tk := 0; tk <= nt; tk++ {
					for r := 0; r < os; r++ {
						want := float32(-7)
						if tk < nt && r < nr {
							want = k.Dot(w[2*r*ws:2*(r*ws+n)], xh[2*tk*xs:2*(tk*xs+n)], n)
						}
						if g := out[tk*os+r]; math.Float32bits(g) != math.Float32bits(want) {
							t.Fatalf("%v n=%d nt=%d [%d,%d]: %v, want %v", h.t, n, nt, tk, r, g, want)
						}
					}
				}
			}
		}
	}
}

// BenchmarkHalfTileAVX2 compares the F16 and BF16 Rows (MatMulQ) with the
// AVX2 tiles ("tile") and without ("old": gemm on converted blocks, or dot8
// per token for 2) with the AVX-512VL tiles off, for the server's batch
// sizes on the bench-110m shapes: FFN 2048x768 and 768x2048 on one thread
// (weights in cache), the output head 32000x768 (from DRAM) on one and two.
// It reports GB/s of weights read and GFLOP/s (per second of wall and of
// process CPU time: the machine is shared).
func BenchmarkHalfTileAVX2(b *testing.B) {
	if !haveHalfAsm {
		b.Skip("no F16C")
	}
	defer SetThreads(0)
	old := useTile38
	useTile38 = false
	defer func() { useTile38 = old }()
	for _, typ := range []quant.Type{quant.F16, quant.BF16} {
		for _, s := range [][3]int{{2048, 768, 1}, {768, 2048, 1}, {32000, 768, 1}, {32000, 768, 2}} {
			rows, cols, th := s[0], s[1], s[2]
			rng := rand.New(rand.NewPCG(1, 1))
			wf := randF32(rng, rows*cols)
			wh := make([]byte, 2*len(wf))
			quant.Quantize(typ, wf, wh)
			for _, nTok := range []int{1, 2, 3, 4, 8, 16} {
				for _, impl := range []string{"old", "tile"} {
					b.Run(fmt.Sprintf("%v/%dx%dx%d/threads=%d/%s", typ, nTok, rows, cols, th, impl), func(b *testing.B) {
						SetThreads(th)
						useTileAVX2 = impl == "tile"
						defer func() { useTileAVX2 = true }()
						x, out := randF32(rng, nTok*cols), make([]float32, nTok*rows)
						cpu0 := processCPU()
						for b.Loop() {
							MatMulQ(out, typ, wh, x, nTok, rows, cols)
						}
						reportRates(b, cpu0, 2*float64(nTok*rows*cols), 2*float64(rows*cols))
					})
				}
			}
		}
	}
}

// TestTileAVX2F32Bits holds gemm (MatMul) with the AVX2 tiles (the
// AVX-512VL tiles off) to dotAVX2 (dotFast) bit for bit, NaN payloads
// aside as everywhere in the float32 kernels, and to gemm with the tiles
// off, for 1..20 tokens, 1..27 rows, row, token and output strides above
// the shapes, and NaN/Inf inputs.
func TestTileAVX2F32Bits(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	rng := rand.New(rand.NewPCG(77, 78))
	for _, n := range []int{8, 16, 24, 40, 13, 768} {
		for _, special := range []bool{false, true} {
			const maxRows, maxTok = 27, 20
			ws, xs := n+8, n+16
			w, x := randF32(rng, maxRows*ws), randF32(rng, maxTok*xs)
			if special {
				specialize(rng, w)
				specialize(rng, x)
			}
			for nt := 1; nt <= maxTok; nt++ {
				for _, nr := range []int{1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 19, 27} {
					os := nr + 3
					got, off := make([]float32, nt*os), make([]float32, nt*os)
					withoutTile38(func() {
						gemm(got, os, w, ws, x, xs, n, nr, nt)
						useTileAVX2 = false
						defer func() { useTileAVX2 = true }()
						gemm(off, os, w, ws, x, xs, n, nr, nt)
					})
					for tk := 0; tk < nt; tk++ {
						for r := 0; r < os; r++ {
							g, o := got[tk*os+r], off[tk*os+r]
							if r >= nr {
								if g != 0 {
									t.Fatalf("n=%d nt=%d nr=%d: wrote [%d,%d]", n, nt, nr, tk, r)
								}
								continue
							}
							want := dotFast(w[r*ws:r*ws+n], x[tk*xs:tk*xs+n])
							if !sameBits(g, want) || !sameBits(o, want) {
								t.Fatalf("n=%d special=%v nt=%d nr=%d [%d,%d]: tile %v (%#x), off %v, dotFast %v (%#x)",
									n, special, nt, nr, tk, r, g, math.Float32bits(g), o, want, math.Float32bits(want))
							}
						}
					}
				}
			}
		}
	}
}

// TestTileAVX2F32Blocks runs gemm on rows long enough that gemmTileAVX2
// splits them into several blocks.
func TestTileAVX2F32Blocks(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	rng := rand.New(rand.NewPCG(79, 80))
	const n, nr = 4096, 41
	w, x := randF32(rng, nr*n), randF32(rng, 16*n)
	for _, nt := range []int{2, 3, 5, 8, 16} {
		got := make([]float32, nt*nr)
		withoutTile38(func() { gemm(got, nr, w, n, x, n, n, nr, nt) })
		for tk := 0; tk < nt; tk++ {
			for r := 0; r < nr; r++ {
				if want := dotFast(w[r*n:(r+1)*n], x[tk*n:(tk+1)*n]); !sameBits(got[tk*nr+r], want) {
					t.Fatalf("nt=%d [%d,%d]: %v, want %v", nt, tk, r, got[tk*nr+r], want)
				}
			}
		}
	}
}
