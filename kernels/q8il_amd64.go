//go:build amd64 && !purego

package kernels

import "unsafe"

// Assembly of q8il_amd64.s (see the comment at its top): small-batch
// Q8_0 / Q4_0 tiles with 16 (zmm) or 8 (ymm) weight rows in the lanes.
// Every count is at least 1; they need haveVNNI.

// ilGroupBytes is the size of one block of a packed 16-row group: the 8
// vectors W_k (64 bytes each: rows 0-7, then rows 8-15), then the 16 rows'
// scales as float32.
const ilGroupBytes = 8*64 + 16*4

// vnniILPackQ8 writes the nb Q8_0 blocks of the 8 weight rows at w (rows
// stride bytes apart) as one half of nb packed blocks of ilGroupBytes at
// dst (dst+32 for rows 8-15 of a group): W_k at 64k (lane r = row r's
// quants 4k..4k+3 XOR 0x80) and the rows' scales at 512; unless pf is 0
// it prefetches into L2 the rows' bytes pf further on.
//
//go:noescape
func vnniILPackQ8(dst, w *byte, stride, nb, pf int)

// vnniILPackQ4 is vnniILPackQ8 for Q4_0 weights: W_k holds the nibbles q
// ∈ [0,15] of quants 4k..4k+3 (ggml's order: low nibbles are quants
// 0..15).
//
//go:noescape
func vnniILPackQ4(dst, w *byte, stride, nb, pf int)

// vnniILActQ8 writes each of n block_q8_0 at x as 64 bytes at dst: its 32
// quants, then the int32 lanes -128·Σ_{j=4k}^{4k+3} x_j (vnniQ4ActInit
// with 128 for 8).
//
//go:noescape
func vnniILActQ8(dst, x *byte, n int)

// vnniILTile3 stores, for the 8 rows packed at p (low halves) and token
// t < 3 at a + t·astride (64-byte activation blocks: vnniILActQ8 for Q8_0
// weights, vnniQ4ActInit for Q4_0) with block scales at dx + t·dxstride
// bytes (scalesQ8AVX2), the 8 rows' dot products as float32 at out +
// t·ostride bytes, bit-identical to q8DotAVX2 / q4DotAVX2. Per block it prefetches
// into L2 the three cache lines at address pf and advances pf by pfstep
// bytes (the next group's weights, streamed while this one computes).
//
//go:noescape
func vnniILTile3(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// vnniILTile2 is vnniILTile3 for 2 tokens.
//
//go:noescape
func vnniILTile2(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// vnniILTile1 is vnniILTile3 for 1 token.
//
//go:noescape
func vnniILTile1(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// ilTile is the signature of the row-lane tiles.
type ilTile = func(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// vnniILTileZ3 is vnniILTile3 for the 16 rows of a packed group (zmm
// registers): 16 float32 per token at out + t·ostride bytes.
//
//go:noescape
func vnniILTileZ3(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// vnniILTileZ2 is vnniILTileZ3 for 2 tokens.
//
//go:noescape
func vnniILTileZ2(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// vnniILTileZ1 is vnniILTileZ3 for 1 token.
//
//go:noescape
func vnniILTileZ1(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// ilMinTok is the smallest token count that rowsQVNNI gives to rowsQIL.
// From 2 tokens on the row-lane tiles were faster than the 4×4 VNNI tiles
// they replaced on Zen 4 (BenchmarkILRows then: 15-35 % at 4 to 256 tokens,
// prompts included, but for Q4_0 with 2 tokens and 2048 columns, about 5 %
// slower); one Q4_0 token is faster through vnniQ4Dot4.
const ilMinTok = 2

// ilPrefetchGroups is how many 16-row groups ahead the pack pass
// prefetches the weights (with few tokens they stream from DRAM) when the
// tiles cannot: they prefetch the next group, spread over their blocks, at
// most 3 cache lines a block (which measured better than the pack's
// prefetch alone, BenchmarkForwardBatch seqs=8; the pack's prefetches cost
// it about an eighth of its time).
const ilPrefetchGroups = 2

// rowsQIL is rowsQVNNI with weight rows in the lanes (q8il_amd64.s): per
// chunk of tokens the activations are converted once (64-byte blocks with
// their lanes' starting values; tokens a block more than nb blocks apart,
// since 4 KiB strides alias in L1) and their scales read once; per 16-row
// group the weights are packed once per chunk (vnniILPackQ8/Q4), then the
// chunk's tokens run up to 3 a call through vnniILTileZ1-3, spread evenly
// over the calls (4 tokens as 2+2: Z2 is faster per pair than Z1), and
// the tiles prefetch the next group's weights meanwhile (the pack does,
// ilPrefetchGroups ahead, when they cannot). The last rows go as one 8-row
// group (vnniILTile1-3) and then, for fewer than 8, an 8-row group packed
// from a copy padded with zero rows whose results are copied out. Every
// element is bit-identical to dot for its row and token (activations in
// [-127, 127]).
func rowsQIL(out []float32, w, xq []byte, nTok, rows, cols, lo, hi, bb int, q4 bool) {
	nb := cols / QK
	wb, xb := nb*bb, nb*Q8_0BlockBytes
	as := (nb + 1) * 64 // converted bytes per token
	chunk := max(3, rowsTokenBytes/as)
	nc := min(chunk, nTok)
	sp := pooled[float32](&scalePool, nc*nb+3*8) // token scales [nc·nb], then a padded group's results [3][8]
	defer scalePool.Put(sp)
	tp := pooled[byte](&bytePool, nc*as) // converted activations
	defer bytePool.Put(tp)
	pp := pooled[byte](&bytePool, nb*ilGroupBytes+8*wb) // a packed group, then a padded copy of the last rows
	defer bytePool.Put(pp)
	dx, tmpOut := (*sp)[:nc*nb], (*sp)[nc*nb:]
	tb, pk, pad := *tp, (*pp)[:nb*ilGroupBytes], (*pp)[nb*ilGroupBytes:]
	pack := vnniILPackQ8
	if q4 {
		pack = vnniILPackQ4
	}
	tiles := [2][4]ilTile{
		{nil, vnniILTile1, vnniILTile2, vnniILTile3}, {nil, vnniILTileZ1, vnniILTileZ2, vnniILTileZ3}}
	wAddr := uintptr(unsafe.Pointer(unsafe.SliceData(w)))
	for t0 := 0; t0 < nTok; t0 += chunk {
		t1 := min(t0+chunk, nTok)
		n := t1 - t0
		scalesQ8AVX2(&xq[t0*xb], n*nb, &dx[0])
		for t := range n {
			if q4 {
				vnniQ4ActInit(&tb[t*as], &xq[(t0+t)*xb], nb)
			} else {
				vnniILActQ8(&tb[t*as], &xq[(t0+t)*xb], nb)
			}
		}
		calls := (n + 2) / 3 // tile calls a group
		pfPack := 0          // the tiles prefetch the next group, if they have the blocks to
		if 16*wb > 192*calls*nb {
			pfPack = ilPrefetchGroups * 16 * wb
		}
		for r := lo; r < hi; {
			nr := min(16, hi-r)
			var o []float32 // where the tiles write token t0's rows, ostride bytes a token
			os := 4 * rows
			switch {
			case nr == 16:
				pack(&pk[0], &w[r*wb], wb, nb, pfPack)
				pack(&pk[32], &w[(r+8)*wb], wb, nb, pfPack)
			case nr >= 8:
				nr = 8
				pack(&pk[0], &w[r*wb], wb, nb, pfPack)
			default:
				copy(pad, w[r*wb:(r+nr)*wb])
				clear(pad[nr*wb:])
				pack(&pk[0], &pad[0], wb, nb, 0)
				o, os = tmpOut, 32
			}
			z := 0
			if nr == 16 {
				z = 1
			}
			// The tiles prefetch the next group's weights, spread over
			// their blocks.
			next, nextEnd := r+nr, min(r+nr+16, hi)
			pf, pfStep := wAddr, 0
			if nextEnd > next {
				pf = wAddr + uintptr(next*wb)
				pfStep = min(192, ((nextEnd-next)*wb/(calls*nb)+63)&^63)
			}
			for t, c := t0, calls; t < t1; c-- {
				k := (t1 - t + c - 1) / c // the tokens spread evenly over the calls (4 as 2+2, not 3+1)
				po := &tmpOut[0]
				if o == nil {
					po = &out[t*rows+r]
				}
				tiles[z][k](&pk[0], &tb[(t-t0)*as], as, nb, po, os, &dx[(t-t0)*nb], 4*nb, pf, pfStep)
				pf += uintptr(nb * pfStep)
				if o != nil {
					for i := range k {
						copy(out[(t+i)*rows+r:(t+i)*rows+r+nr], o[8*i:8*i+nr])
					}
				}
				t += k
			}
			r += nr
		}
	}
}
