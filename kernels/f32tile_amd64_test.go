//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// tile38Cols are the row lengths the 3 × 8 tile tests run: multiples of 8
// (the tiles' own) and some that are not (gemm and Rows then take the AVX2
// path, which must agree too).
var tile38Cols = []int{8, 24, 768, 2048, 13, 37}

// specialize puts NaNs (two payloads), infinities of both signs and zeros
// into about one value in 16 of x.
func specialize(rng *rand.Rand, x []float32) {
	specials := []float32{
		float32(math.NaN()), math.Float32frombits(0x7fa00001), float32(math.Inf(1)), float32(math.Inf(-1)), 0,
		float32(math.Copysign(0, -1)),
	}
	for i := range x {
		if rng.IntN(16) == 0 {
			x[i] = specials[rng.IntN(len(specials))]
		}
	}
}

// sameBits reports whether a and b have the same bits, or are both NaN:
// the AVX2 kernels already differ in which operand's NaN payload an FMA
// keeps (dot8AVX2 multiplies x by w, dotAVX2 w by x).
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// TestTile38F32Bits holds gemm with the 3 × 8 tiles to dotAVX2 (dotFast)
// bit for bit for every output, for 1..20 tokens and 1..13 rows, with and
// without NaN and infinite inputs, and to gemm with the tiles off.
func TestTile38F32Bits(t *testing.T) {
	if !haveTile38 {
		t.Skip("no AVX-512VL")
	}
	rng := rand.New(rand.NewPCG(381, 382))
	for _, n := range tile38Cols {
		for _, special := range []bool{false, true} {
			w, x := randF32(rng, 13*n), randF32(rng, 20*n)
			if special {
				specialize(rng, w)
				specialize(rng, x)
			}
			for nt := 1; nt <= 20; nt++ {
				for nr := 1; nr <= 13; nr++ {
					got, off := make([]float32, nt*nr), make([]float32, nt*nr)
					gemm(got, nr, w, n, x, n, n, nr, nt)
					useTile38 = false
					gemm(off, nr, w, n, x, n, n, nr, nt)
					useTile38 = true
					for tk := 0; tk < nt; tk++ {
						for r := 0; r < nr; r++ {
							want := dotFast(w[r*n:(r+1)*n], x[tk*n:(tk+1)*n])
							g, o := got[tk*nr+r], off[tk*nr+r]
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

// TestTile38F32Strides runs gemm on a sub-block of larger matrices (row,
// token and output strides above n), as MatMul's per-thread calls do.
func TestTile38F32Strides(t *testing.T) {
	if !haveTile38 {
		t.Skip("no AVX-512VL")
	}
	rng := rand.New(rand.NewPCG(383, 384))
	const n, ws, xs, os, nr, nt = 40, 48, 56, 17, 11, 13
	w, x := randF32(rng, nr*ws), randF32(rng, nt*xs)
	out := make([]float32, nt*os)
	for i := range out {
		out[i] = -1
	}
	gemm(out, os, w, ws, x, xs, n, nr, nt)
	for tk := 0; tk < nt; tk++ {
		for r := 0; r < os; r++ {
			want := float32(-1)
			if r < nr {
				want = dotFast(w[r*ws:r*ws+n], x[tk*xs:tk*xs+n])
			}
			if got := out[tk*os+r]; !sameBits(got, want) {
				t.Fatalf("[%d,%d]: %v, want %v", tk, r, got, want)
			}
		}
	}
}

// TestTile38F16Bits holds the F16 Rows with the 3 × 8 tiles to the F16
// Dot bit for bit (and to Rows with the tiles off), for 1..20 tokens and
// 1..13 rows, a sub-range of rows, and NaN/Inf/subnormal inputs.
func TestTile38F16Bits(t *testing.T) {
	if !haveTile38 || !haveHalfAsm {
		t.Skip("no AVX-512VL or F16C")
	}
	k := LookupQKernel(quant.F16)
	h := halfTypes[0]
	rng := rand.New(rand.NewPCG(385, 386))
	for _, n := range tile38Cols {
		for _, special := range []bool{false, true} {
			w, x := randHalves(rng, h, 13*n, special), randHalves(rng, h, 20*n, special)
			if special {
				// NaNs and infinities (randHalves adds subnormals, zeros
				// and large values).
				for i := 0; i < len(w); i += 2 {
					if rng.IntN(16) == 0 {
						v := []uint16{h.nan[rng.IntN(len(h.nan))], h.inf, h.inf | 0x8000}[rng.IntN(3)]
						w[i], w[i+1] = byte(v), byte(v>>8)
					}
				}
			}
			for nt := 1; nt <= 20; nt++ {
				for nr := 1; nr <= 13; nr++ {
					for _, lh := range [][2]int{{0, nr}, {nr / 3, nr - nr/4}} {
						lo, hi := lh[0], lh[1]
						got, off := make([]float32, nt*nr), make([]float32, nt*nr)
						k.Rows(got, w, x, nt, nr, n, lo, hi)
						useTile38 = false
						k.Rows(off, w, x, nt, nr, n, lo, hi)
						useTile38 = true
						for tk := 0; tk < nt; tk++ {
							for r := lo; r < hi; r++ {
								want := k.Dot(w[2*r*n:2*(r+1)*n], x[2*tk*n:2*(tk+1)*n], n)
								g, o := got[tk*nr+r], off[tk*nr+r]
								if !sameBits(g, want) || !sameBits(o, want) {
									t.Fatalf("n=%d special=%v nt=%d nr=%d rows %d..%d [%d,%d]: tile %v, off %v, Dot %v",
										n, special, nt, nr, lo, hi, tk, r, g, o, want)
								}
							}
							for r := 0; r < nr; r++ {
								if (r < lo || r >= hi) && got[tk*nr+r] != 0 {
									t.Fatalf("n=%d nt=%d nr=%d rows %d..%d: wrote row %d", n, nt, nr, lo, hi, r)
								}
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkTile38 compares gemm (MatMul) and the F16 Rows (MatMulQ) with
// the register tiles of f32tile_amd64.s ("tile") and without ("avx2") for
// the server's batch sizes (decode steps of 2..16 sequences) on the
// bench-110m shapes: FFN 2048x768 and 768x2048 on one thread (weights in
// cache), the output head 32000x768 on two (weights from DRAM). It reports
// GB/s of weights read and GFLOP/s.
func BenchmarkTile38(b *testing.B) {
	if !haveTile38 {
		b.Skip("no AVX-512VL")
	}
	defer SetThreads(0)
	for _, typ := range []quant.Type{quant.F32, quant.F16} {
		for _, s := range [][3]int{{2048, 768, 1}, {768, 2048, 1}, {32000, 768, 2}} {
			rows, cols, th := s[0], s[1], s[2]
			rng := rand.New(rand.NewPCG(1, 1))
			wf := randF32(rng, rows*cols)
			var wh []byte
			if typ == quant.F16 {
				wh = make([]byte, 2*len(wf))
				quant.Quantize(typ, wf, wh)
			}
			for _, nTok := range []int{2, 3, 4, 8, 12, 16} {
				for _, impl := range []string{"avx2", "tile"} {
					b.Run(fmt.Sprintf("%v/%dx%dx%d/threads=%d/%s", typ, nTok, rows, cols, th, impl), func(b *testing.B) {
						SetThreads(th)
						useTile38 = impl == "tile"
						defer func() { useTile38 = haveTile38 }()
						x, out := randF32(rng, nTok*cols), make([]float32, nTok*rows)
						cpu0 := processCPU()
						for b.Loop() {
							if typ == quant.F32 {
								MatMul(out, wf, x, nTok, rows, cols)
							} else {
								MatMulQ(out, typ, wh, x, nTok, rows, cols)
							}
						}
						bytes := 4 * float64(rows*cols)
						if typ == quant.F16 {
							bytes /= 2
						}
						reportRates(b, cpu0, 2*float64(nTok*rows*cols), bytes)
					})
				}
			}
		}
	}
}

// TestTile38Allocs checks that a batched decode step through the tiles
// allocates no more than the AVX2 path (the token pointer arrays stay on
// the stack; the scratch pools and the worker hand-off allocate a few
// small objects either way).
func TestTile38Allocs(t *testing.T) {
	if !haveTile38 || !haveHalfAsm {
		t.Skip("no AVX-512VL or F16C")
	}
	defer SetThreads(0)
	SetThreads(1)
	const rows, cols = 96, 64
	rng := rand.New(rand.NewPCG(387, 388))
	wf := randF32(rng, rows*cols)
	wh := make([]byte, 2*len(wf))
	quant.Quantize(quant.F16, wf, wh)
	for _, nTok := range []int{2, 4, 8, 13} {
		x, out := randF32(rng, nTok*cols), make([]float32, nTok*rows)
		for _, typ := range []quant.Type{quant.F32, quant.F16} {
			step := func() {
				if typ == quant.F32 {
					MatMul(out, wf, x, nTok, rows, cols)
				} else {
					MatMulQ(out, typ, wh, x, nTok, rows, cols)
				}
			}
			var n [2]float64
			for i, on := range []bool{false, true} {
				useTile38 = on
				step()
				n[i] = testing.AllocsPerRun(20, step)
			}
			if n[1] > n[0] {
				t.Errorf("%v, %d tokens: %v allocations per step with the tiles, %v without", typ, nTok, n[1], n[0])
			}
		}
	}
}
