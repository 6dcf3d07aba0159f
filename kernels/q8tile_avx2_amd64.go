//go:build amd64 && !purego

package kernels

import "unsafe"

// Register tiles of q8tile_avx2_amd64.s: Q8_0 Rows for 2 or more tokens on
// AVX2 CPUs without AVX-512 VNNI (a server's batched decode step; prompts),
// every element bit-identical to q8DotAVX2 (ggml's AVX2 vec_dot order) for
// activations in [-127, 127].

// q8W16XAVX2 widens the quants of the n (≥ 1) block_q8_0 at x to 64 bytes
// a block at dst (32-byte aligned): the 16 int16 of the sign-extended even
// bytes of each 16-bit pair (xA), then of the odd ones (xB).
//
//go:noescape
func q8W16XAVX2(dst, x *byte, n int)

// q8W16DTabAVX2 sets d[(g·nb+b)·8 + 4r + t] = fp32(scale of block b of row
// r)·dx[(g·nb+b)·8 + t] for the 2 rows r at w + r·stride, blocks b < nb
// (≥ 1), token groups g < ng (≥ 1) and t < 4; dx holds each block's 4
// token scales twice (dx[…+4+t] = dx[…+t]).
//
//go:noescape
func q8W16DTabAVX2(w *byte, stride int, nb int, dx *float32, ng int, d *float32)

// q8W16Tile2x4AVX2 sets out[t·ostride bytes + r] = q8DotAVX2(w + r·stride,
// token t, nb) for rows r < 2 and tokens t < 4, token t's blocks widened
// by q8W16XAVX2 at x + t·xstride, d(row r, token t) of block b at d[8b +
// 4r + t] (q8W16DTabAVX2), prefetching 68·nb bytes from pf (an address
// only, never read: it may lie past the matrix).
//
//go:noescape
func q8W16Tile2x4AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, d *float32, pf uintptr)

// q8W16Tile2x3AVX2 is q8W16Tile2x4AVX2 for tokens t < 3.
//
//go:noescape
func q8W16Tile2x3AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, d *float32, pf uintptr)

// q8W16Tile2x2AVX2 is q8W16Tile2x4AVX2 for tokens t < 2.
//
//go:noescape
func q8W16Tile2x2AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, d *float32, pf uintptr)

// q8W16Tile2x1AVX2 is q8W16Tile2x4AVX2 for token 0.
//
//go:noescape
func q8W16Tile2x1AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, d *float32, pf uintptr)

// q8W16Tiles[T] is the 2-row × T-token tile.
var q8W16Tiles = [5]func(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, d *float32, pf uintptr){
	nil, q8W16Tile2x1AVX2, q8W16Tile2x2AVX2, q8W16Tile2x3AVX2, q8W16Tile2x4AVX2,
}

// rowsQ8W16 is QKernel.Rows of Q8_0 on AVX2 CPUs without VNNI (useAsm;
// arguments checked by the caller; cols ≥ 32). Tokens are taken in chunks
// whose widened activations fit in rowsTokenBytes: each chunk is widened
// once (q8W16XAVX2) and its scales laid out by groups of 4 tokens; then
// blocks of q8W16RowBlock rows meet blocks of up to 16 tokens whose
// widened activations fit in L1 (q8W16TokBlockBytes): for each pair of
// rows the products d(row, token) of all blocks are made once per token
// block (q8W16DTabAVX2) and the 2 × 4 tiles (2 × 1..3 for the last
// tokens) sweep its token groups, prefetching the next row pair. (A
// decode step of up to 16 tokens is a single token block.) A last odd row
// takes DotQ8_0 per token. Every element is bit-identical
// to DotQ8_0 for its row and token (activations in [-127, 127]).
func rowsQ8W16(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	nb := cols / QK
	rb := nb * Q8_0BlockBytes // bytes of a weight row and of a token
	chunk := max(4, rowsTokenBytes/(nb*64)&^3)
	nc := min(chunk, nTok)
	ng := (nc + 3) / 4
	// Scratch: the chunk's token scales [nc·nb], then by token group
	// [ng][nb][8] (4 tokens, twice), then d [ng][nb][2 rows][4 tokens].
	sp := pooled[float32](&scalePool, nc*nb+2*ng*nb*8)
	defer scalePool.Put(sp)
	ts, dx, d := (*sp)[:nc*nb], (*sp)[nc*nb:nc*nb+ng*nb*8], (*sp)[nc*nb+ng*nb*8:]
	bp := pooled[byte](&bytePool, nc*nb*64+32)
	defer bytePool.Put(bp)
	xw := (*bp)[int(-uintptr(unsafe.Pointer(unsafe.SliceData(*bp)))&31):] // 32-byte aligned
	base := uintptr(unsafe.Pointer(unsafe.SliceData(w)))
	for t0 := 0; t0 < nTok; t0 += chunk {
		t1 := min(t0+chunk, nTok)
		n := t1 - t0
		g1 := (n + 3) / 4
		q8W16XAVX2(&xw[0], &xq[t0*rb], n*nb)
		scalesQ8AVX2(&xq[t0*rb], n*nb, &ts[0])
		clear(dx[:g1*nb*8]) // a last group's missing tokens: products never used
		for t := range n {
			g, j := t/4, t%4
			for b := range nb {
				v := ts[t*nb+b]
				dx[(g*nb+b)*8+j], dx[(g*nb+b)*8+4+j] = v, v
			}
		}
		// Blocks of rows (kept in L2) × blocks of tokens (widened
		// activations kept in L1), as a GEMM blocks its loops, so that a
		// prompt's many tokens do not stream from L2 for every row pair.
		tb := max(4, min(16, q8W16TokBlockBytes/(nb*64))&^3)
		r := lo
		for r+2 <= hi {
			r1 := r + min(q8W16RowBlock, (hi-r)&^1)
			for tc := t0; tc < t1; tc += tb {
				tc1 := min(tc+tb, t1)
				gc := (tc - t0) / 4
				for p := r; p < r1; p += 2 {
					wp := &w[p*rb]
					pf := base + uintptr((p+2)*rb)
					q8W16DTabAVX2(wp, rb, nb, &dx[gc*nb*8], (tc1-tc+3)/4, &d[0])
					for t := tc; t < tc1; t += 4 {
						g := (t - tc) / 4
						q8W16Tiles[min(4, tc1-t)](wp, rb, &xw[(t-t0)*nb*64], nb*64, nb, &out[t*rows+p], 4*rows, &d[g*nb*8], pf)
					}
				}
			}
			r = r1
		}
		if r < hi {
			for t := t0; t < t1; t++ {
				out[t*rows+r] = DotQ8_0(w[r*rb:(r+1)*rb], xq[t*rb:(t+1)*rb])
			}
		}
	}
}

// q8W16RowBlock (rows, even) and q8W16TokBlockBytes (of widened
// activations) size rowsQ8W16's loop blocks.
const (
	q8W16RowBlock      = 32
	q8W16TokBlockBytes = 24 << 10
)
