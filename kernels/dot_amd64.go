//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// haveAVX2FMA reports whether the CPU and OS support AVX2 and FMA (x/sys/cpu
// checks the OS saves the YMM state too); without them the plain-Go
// reference runs.
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAsm selects the assembly path; tests turn it off to reach the fallback.
var useAsm = haveAVX2FMA

// The kernels of dot_amd64.s all sum a dot product in one order (see the
// top of that file): one 8-lane FMA accumulator, the last partial chunk
// zero-padded, and the lanes joined as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)).
// So each output has the same bits whichever kernel computed it.

// dotAVX2 returns Σ a[i]·b[i] for i < n. It ends with VZEROUPPER.
//
//go:noescape
func dotAVX2(a, b *float32, n int) float32

// dot8AVX2 sets out[i] = Σ_{j<n} w[i·stride+j]·x[j] for i = 0..7, loading
// x once for 8 rows.
//
//go:noescape
func dot8AVX2(w *float32, stride int, x *float32, n int, out *float32)

// tile43AVX2 sets out[t·os+r] = Σ_{j<n} w[r·ws+j]·x[t·xs+j] for 4 rows r
// and 3 tokens t (a register tile: each chunk of w is loaded once for the
// 3 tokens, each chunk of x once for the 4 rows).
//
//go:noescape
func tile43AVX2(w *float32, ws int, x *float32, xs int, n int, out *float32, os int)

// dotFast returns Σ a[i]·b[i] (len(a) == len(b), checked by the caller) with
// the assembly kernel where the CPU has AVX2 and FMA. The summation order
// differs from Dot's, so results agree to rounding, not bit for bit.
func dotFast(a, b []float32) float32 {
	if !useAsm || len(a) == 0 {
		return dotRef(a, b)
	}
	if len(a) < 8 {
		// The kernels read a short last chunk from the row's last 8
		// elements; a row shorter than that is padded with zeros, which
		// sums in the same order.
		var pa, pb [8]float32
		copy(pa[:], a)
		copy(pb[:], b[:len(a)])
		return dotAVX2(&pa[0], &pb[0], 8)
	}
	return dotAVX2(&a[0], &b[0], len(a))
}

// dotRows sets out[r] = dotFast(row r of w, x) for the len(out) rows of w
// ([len(out), len(x)]), eight rows per assembly call where it can. Each
// element is bit-identical to dotFast, however rows are grouped.
func dotRows(out, w, x []float32) {
	cols := len(x)
	if len(w) != len(out)*cols {
		panic("kernels: dotRows: shape mismatch")
	}
	r := 0
	if useAsm && cols >= 8 {
		for ; r+8 <= len(out); r += 8 {
			dot8AVX2(&w[r*cols], cols, &x[0], cols, &out[r])
		}
	}
	for ; r < len(out); r++ {
		out[r] = dotFast(w[r*cols:(r+1)*cols], x)
	}
}

// gemmBlockBytes bounds the weight rows gemm runs against every group of
// tokens before moving on, so that they stay in L2 (512 KiB here).
const gemmBlockBytes = 128 << 10

// gemm sets out[t·os+r] = dotFast(w[r·ws : r·ws+n], x[t·xs : t·xs+n]) for
// rows r < nr and tokens t < nt, bit-identical to dotFast for every
// element: blocks of rows that stay in L2, and in each block 4-row ×
// 3-token register tiles (tile43AVX2), with dotRows and dotFast for the
// rows and tokens left over.
func gemm(out []float32, os int, w []float32, ws int, x []float32, xs int, n, nr, nt int) {
	if nr == 0 || nt == 0 {
		return
	}
	if len(w) < (nr-1)*ws+n || len(x) < (nt-1)*xs+n || len(out) < (nt-1)*os+nr || ws < n || xs < n || os < nr {
		panic("kernels: gemm: shape mismatch")
	}
	if !useAsm || n < 8 {
		for t := 0; t < nt; t++ {
			for r := 0; r < nr; r++ {
				out[t*os+r] = dotFast(w[r*ws:r*ws+n], x[t*xs:t*xs+n])
			}
		}
		return
	}
	if useTile38 && n%8 == 0 && nt >= tile38MinTok && nt <= tileMaxTok {
		gemm38(out, os, w, ws, x, xs, n, nr, nt)
		return
	}
	if useTileAVX2 && n%8 == 0 && nt >= 2 && nt <= tileAVX2MaxTok {
		gemmTileAVX2(out, os, w, ws, x, xs, n, nr, nt)
		return
	}
	blk := max(4, gemmBlockBytes/(4*ws)&^3)
	for r0 := 0; r0 < nr; r0 += blk {
		r1 := min(r0+blk, nr)
		t := 0
		for ; t+3 <= nt; t += 3 {
			r := r0
			for ; r+4 <= r1; r += 4 {
				tile43AVX2(&w[r*ws], ws, &x[t*xs], xs, n, &out[t*os+r], os)
			}
			for ; r < r1; r++ {
				for tt := t; tt < t+3; tt++ {
					out[tt*os+r] = dotAVX2(&w[r*ws], &x[tt*xs], n)
				}
			}
		}
		for ; t < nt; t++ {
			r := r0
			for ; r+8 <= r1; r += 8 {
				dot8AVX2(&w[r*ws], ws, &x[t*xs], n, &out[t*os+r])
			}
			for ; r < r1; r++ {
				out[t*os+r] = dotAVX2(&w[r*ws], &x[t*xs], n)
			}
		}
	}
}
