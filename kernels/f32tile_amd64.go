//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// haveTile38 reports whether the CPU and OS support AVX-512F and AVX-512VL
// (x/sys/cpu reports them only when the OS saves the AVX-512 state): the
// register tiles of f32tile_amd64.s (3 rows × 8 tokens, 6 rows × 4) need
// the 32 ymm registers of EVEX. Without them gemm and the F16 Rows run the
// AVX2 kernels.
var haveTile38 = haveAVX2FMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// useTile38 selects the tiles of f32tile_amd64.s; tests turn it off to compare them with
// the AVX2 path.
var useTile38 = haveTile38

// tile38F32X sets out[t·os+r] = Σ_{j<n} w[r·ws+j]·xp[t][j] for 3 rows r
// and tokens t < nt (1..8), each in dotAVX2's order; the 8-nt pointers past
// nt must still be readable (the callers repeat a token) and their results
// are dropped. n is a positive multiple of 8. It prefetches into L2 the
// weights pf bytes past the tile's row 0.
//
//go:noescape
func tile38F32X(w *float32, ws int, xp *[8]*float32, n int, out *float32, os int, nt int, pf int)

// tile38F16X is tile38F32X for binary16 weight rows ws bytes apart (each
// sum in dotF16AVX2's order on float32 tokens, the converted activations).
//
//go:noescape
func tile38F16X(w *byte, ws int, xp *[8]*float32, n int, out *float32, os int, nt int, pf int)

// tile64F32X is tile38F32X for 6 rows and nt (1..4) of 4 tokens (for
// batches of 3 or 4, where a 3 × 8 tile would spend half its FMAs on
// repeated tokens).
//
//go:noescape
func tile64F32X(w *float32, ws int, xp *[4]*float32, n int, out *float32, os int, nt int, pf int)

// tile64F16X is tile64F32X for binary16 weight rows ws bytes apart.
//
//go:noescape
func tile64F16X(w *byte, ws int, xp *[4]*float32, n int, out *float32, os int, nt int, pf int)

// tile38MinTok is the smallest number of tokens for which gemm and the F16
// Rows run the register tiles of f32tile_amd64.s; a last group of fewer
// tokens (after groups of 8) runs one token at a time through the AVX2
// kernels. Two tokens in a 6 × 4 tile (half its FMAs wasted) still read
// the weights once, where the AVX2 path reads each L2 block twice: faster
// on DRAM-bound weights, and for F32 in cache too.
const tile38MinTok = 2

// tileMaxTok is the most tokens for which gemm runs the register tiles of
// f32tile_amd64.s: the server's batched decode steps (1..16 sequences).
// Prompts keep the AVX2 4 × 3 tiles, which measured as fast or faster
// there (for 2048 columns the 8 tokens of a 3 × 8 tile no longer fit in
// L1, and for short rows the tiles' joins weigh more).
const tileMaxTok = 16

// tile64MaxTok is the largest group of tokens that runs the 6 × 4 tiles
// (larger groups run the 3 × 8 tiles).
const tile64MaxTok = 4

// tilePfBytes is how far ahead of a tile's first row the tiles prefetch the
// weight stream (at least the next tile's rows): with few tokens the
// weights come from DRAM. On the 32000x768 F16 output head (2 threads, 2
// and 3 tokens) 6 rows ahead (9 KiB) read at 12-17 GB/s where 18 to
// 36 KiB read at 22-25 (noisy, shared machine).
const tilePfBytes = 24 << 10

// tokenPtrs returns the addresses of the k (1..8) tokens x[(t+i)·xs:], the
// first repeated to fill 8; its first 4 are the 6 × 4 tiles' pointers when
// k ≤ 4.
func tokenPtrs(x []float32, xs, t, k int) (xp [8]*float32) {
	for i := range xp {
		if i < k {
			xp[i] = &x[(t+i)*xs]
		} else {
			xp[i] = &x[t*xs]
		}
	}
	return xp
}

// tileRows runs rows [r0, r1) against one group of k (1..8) tokens: with
// 6-row tiles (t64) when k ≤ tile64MaxTok, then 3-row tiles (t38), and
// the last rows one at a time (one).
func tileRows(r0, r1, k int, t64, t38, one func(r int)) {
	r := r0
	if k <= tile64MaxTok {
		for ; r+6 <= r1; r += 6 {
			t64(r)
		}
	}
	for ; r+3 <= r1; r += 3 {
		t38(r)
	}
	for ; r < r1; r++ {
		one(r)
	}
}

// gemm38 is gemm with the register tiles of f32tile_amd64.s: blocks of
// rows that stay in L2 and, against each, groups of 8 tokens, the last
// group padded (or, when shorter than tile38MinTok, run one token at a
// time by dot8AVX2). n is a multiple of 8; the shapes are checked by gemm.
func gemm38(out []float32, os int, w []float32, ws int, x []float32, xs int, n, nr, nt int) {
	blk := max(6, gemmBlockBytes/(4*ws)/6*6)
	pf := max(tilePfBytes, 3*4*ws)
	for r0 := 0; r0 < nr; r0 += blk {
		r1 := min(r0+blk, nr)
		for t := 0; t < nt; t += 8 {
			k := min(8, nt-t)
			if k < tile38MinTok {
				for tt := t; tt < t+k; tt++ {
					r := r0
					for ; r+8 <= r1; r += 8 {
						dot8AVX2(&w[r*ws], ws, &x[tt*xs], n, &out[tt*os+r])
					}
					for ; r < r1; r++ {
						out[tt*os+r] = dotAVX2(&w[r*ws], &x[tt*xs], n)
					}
				}
				continue
			}
			xp := tokenPtrs(x, xs, t, k)
			xp4 := [4]*float32(xp[:4])
			tileRows(r0, r1, k,
				func(r int) { tile64F32X(&w[r*ws], ws, &xp4, n, &out[t*os+r], os, k, pf) },
				func(r int) { tile38F32X(&w[r*ws], ws, &xp, n, &out[t*os+r], os, k, pf) },
				func(r int) {
					for tt := t; tt < t+k; tt++ {
						out[tt*os+r] = dotAVX2(&w[r*ws], &x[tt*xs], n)
					}
				})
		}
	}
}
