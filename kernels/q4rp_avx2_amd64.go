//go:build amd64 && !purego

package kernels

import "unsafe"

// Assembly of q4rp_avx2_amd64.s (see the comment at its top): Q4_0 row-lane
// tiles of 16 rows × N tokens in the repacked order (q4rp.go) for CPUs
// with AVX2, FMA and F16C but no AVX-512 VNNI. Every count is at least 1.

// q4rpAVX2Tile3 stores, for the 16 rows packed at p (q4rpAVX2Pack) and
// token t < 3 at a + t·astride (q4rpActAVX2's 64-byte blocks) with block
// scales at dx + t·dxstride bytes (scalesQ8AVX2), the 16 rows' results
// in the repacked order at out + t·ostride bytes; per block it prefetches
// into L2 the five cache lines at pf and advances pf by pfstep bytes.
//
//go:noescape
func q4rpAVX2Tile3(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// q4rpAVX2Tile2 is q4rpAVX2Tile3 for 2 tokens.
//
//go:noescape
func q4rpAVX2Tile2(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// q4rpAVX2Tile4 is q4rpAVX2Tile3 for 4 tokens (tokens 2 and 3 keep their
// accumulators on the stack).
//
//go:noescape
func q4rpAVX2Tile4(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// q4rpAVX2Pack writes the nb Q4_0 blocks of the 16 weight rows at w (rows
// stride bytes apart) as nb packed blocks of ilGroupBytes at dst, in
// vnniILPackQ4's layout (both 8-row halves).
//
//go:noescape
func q4rpAVX2Pack(dst, w *byte, stride, nb int)

// q4rpActAVX2 is q4rpActVNNI without VNNI: each of n (≥ 1) block_q8_0 at
// x as 64 bytes at dst, its 32 quants, then at 32 the int32 -8·Σx.
//
//go:noescape
func q4rpActAVX2(dst, x *byte, n int)

// q4rpAVX2Tiles[N] is the tile of N tokens (2 to 4: rowsQ4RPAVX2 spreads
// 2 or more tokens evenly over calls of at most 4, so 8 tokens run as 4+4).
var q4rpAVX2Tiles = [...]ilTile{nil, nil, q4rpAVX2Tile2, q4rpAVX2Tile3, q4rpAVX2Tile4}

// q4rpAVX2MaxTok is the most tokens a q4rpAVX2 tile takes.
const q4rpAVX2MaxTok = len(q4rpAVX2Tiles) - 1

// q4rpAVX2PfLine is the most bytes a tile prefetches a block (its five
// cache lines): enough for the next group's 16·18 bytes a block with one
// call a group, so the pack never prefetches.
const q4rpAVX2PfLine = 5 * 64

// rowsQ4RPAVX2 is rowsQ4RP for 2 or more tokens on CPUs without AVX-512
// VNNI (AVX2, FMA, F16C): rowsQ4RP's VNNI loop with the ymm tiles of
// q4rp_avx2_amd64.s. Per chunk of tokens the activations are converted
// once (q4rpActAVX2; tokens a block more than nb blocks apart, since 4 KiB
// strides alias in L1) and their scales read once; per 16-row group the
// weights are packed once per chunk (q4rpAVX2Pack), then the chunk's
// tokens run up to 4 a call, spread evenly over the calls, while the tiles
// prefetch the next group's weights. Fewer than 16 last rows are packed
// from a copy padded with zero rows whose results are copied out. Arguments
// are checked by the caller.
func rowsQ4RPAVX2(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	nb := cols / QK
	wb, xb := nb*Q4_0BlockBytes, nb*Q8_0BlockBytes
	as := (nb + 1) * 64 // converted bytes per token
	chunk := max(q4rpAVX2MaxTok, rowsTokenBytes/as)
	nc := min(chunk, nTok)
	sp := pooled[float32](&scalePool, nc*nb+q4rpAVX2MaxTok*16) // token scales [nc·nb], then a padded group's results
	defer scalePool.Put(sp)
	tp := pooled[byte](&bytePool, nc*as) // converted activations
	defer bytePool.Put(tp)
	pp := pooled[byte](&bytePool, nb*ilGroupBytes+16*wb) // a packed group, then a padded copy of the last rows
	defer bytePool.Put(pp)
	dx, tmpOut := (*sp)[:nc*nb], (*sp)[nc*nb:]
	tb, pk, pad := *tp, (*pp)[:nb*ilGroupBytes], (*pp)[nb*ilGroupBytes:]
	wAddr := uintptr(unsafe.Pointer(unsafe.SliceData(w)))
	prefetchBytes(&w[lo*wb], min(16, hi-lo)*wb) // the first group, while the activations are converted
	for t0 := 0; t0 < nTok; t0 += chunk {
		t1 := min(t0+chunk, nTok)
		n := t1 - t0
		scalesQ8AVX2(&xq[t0*xb], n*nb, &dx[0])
		for t := range n {
			q4rpActAVX2(&tb[t*as], &xq[(t0+t)*xb], nb)
		}
		calls := (n + q4rpAVX2MaxTok - 1) / q4rpAVX2MaxTok // tile calls a group
		for r := lo; r < hi; {
			nr := min(16, hi-r)
			var o []float32 // where the tiles write token t0's rows, ostride bytes a token
			os := 4 * rows
			if nr == 16 {
				q4rpAVX2Pack(&pk[0], &w[r*wb], wb, nb)
			} else {
				copy(pad, w[r*wb:(r+nr)*wb])
				clear(pad[nr*wb:])
				q4rpAVX2Pack(&pk[0], &pad[0], wb, nb)
				o, os = tmpOut, 64
			}
			next, nextEnd := r+nr, min(r+nr+16, hi)
			pf, pfStep := wAddr, 0
			if nextEnd > next {
				pf = wAddr + uintptr(next*wb)
				pfStep = min(q4rpAVX2PfLine, ((nextEnd-next)*wb/(calls*nb)+63)&^63)
			}
			for t, c := t0, calls; t < t1; c-- {
				k := (t1 - t + c - 1) / c // the tokens spread evenly over the calls
				po := &tmpOut[0]
				if o == nil {
					po = &out[t*rows+r]
				}
				q4rpAVX2Tiles[k](&pk[0], &tb[(t-t0)*as], as, nb, po, os, &dx[(t-t0)*nb], 4*nb, pf, pfStep)
				pf += uintptr(nb * pfStep)
				if o != nil {
					for i := range k {
						copy(out[(t+i)*rows+r:(t+i)*rows+r+nr], o[16*i:16*i+nr])
					}
				}
				t += k
			}
			r += nr
		}
	}
}
