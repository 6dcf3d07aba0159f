//go:build amd64 && !purego

package kernels

import (
	"encoding/binary"
	"unsafe"

	"github.com/llmpipe/llmpipe/quant"
)

// Assembly of q4rp_amd64.s (see the comment at its top): Q4_0 row-lane
// tiles of 16 rows × N tokens in the repacked order (q4rp.go). Every count
// is at least 1; they need haveVNNI.

//go:noescape
func q4rpTile1(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

//go:noescape
func q4rpTile2(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

//go:noescape
func q4rpTile3(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

//go:noescape
func q4rpTile4(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

//go:noescape
func q4rpTile5(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

//go:noescape
func q4rpTile6(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

//go:noescape
func q4rpTile7(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

//go:noescape
func q4rpTile8(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// q4rpDot8 sets out[r] for the 8 weight rows r at w + r·stride to their
// repacked-order dot product with one token's q4rpAct blocks at a, whose
// block scales are dx[b] (scalesQ8AVX2).
//
//go:noescape
func q4rpDot8(w *byte, stride int, a *byte, nb int, out *float32, dx *float32)

// q4rpDot8L2 is q4rpDot8 with its prefetches of the next 8 rows into L2
// rather than L1, for rows longer than q4rpL1Row bytes.
//
//go:noescape
func q4rpDot8L2(w *byte, stride int, a *byte, nb int, out *float32, dx *float32)

// q4rpL1Row is the longest weight row (bytes) for which q4rpDot8 prefetches
// the next 8 rows into L1; longer rows run q4rpDot8L2. Measured at model
// level (bench-gqa-1b-q4_0, 1 thread, Zen 4 guest): q4rpDot8 everywhere
// 35-40 tok/s against 43-45 for vnniQ4Dot4 before; with the 5632-column
// FFN down matrix (3168-byte rows: 25 KB prefetched ahead into a 32 KB
// L1, evicting the lines being read) on q4rpDot8L2, 42-47; with every
// matrix on q4rpDot8L2, 42-44 (the 2048-column ones, 1152-byte rows,
// prefer L1). Tests flip it.
var q4rpL1Row = 1152

// q4rpDot4 is q4rpDot8 for 4 rows (vnniQ4Dot4's memory pattern).
//
//go:noescape
func q4rpDot4(w *byte, stride int, a *byte, nb int, out *float32, dx *float32)

// q4rpDot4AVX2 is q4rpDot4 for CPUs without AVX-512 VNNI (AVX2, FMA,
// F16C), with the same bits.
//
//go:noescape
func q4rpDot4AVX2(w *byte, stride int, a *byte, nb int, out *float32, dx *float32)

// q4rpUseDot4 selects q4rpDot4 over q4rpDot8 for one token. With the
// weights streamed from DRAM (BenchmarkQ4RPDecode: a 110M model's
// matrices) both were within noise of vnniQ4Dot4 on one goroutine
// (3.2-3.7 ms a token on Zen 4) and q4rpDot8, with fewer instructions a
// row, slightly ahead on two (1.76-1.96 ms against 1.82-2.00 for
// vnniQ4Dot4 and 1.81-2.28 for q4rpDot4), so it is the default. With the
// weights in L2 (BenchmarkQ4RPRows, tok=1) both are about 8 % slower than
// vnniQ4Dot4 (0.80 against 0.72-0.75 ns a pair); without its prefetches
// q4rpDot8 was 10 % faster there but half as fast from DRAM. Tests and
// benchmarks flip it.
var q4rpUseDot4 = false

// q4rpTiles[N] is the tile of N tokens.
var q4rpTiles = [...]ilTile{nil, q4rpTile1, q4rpTile2, q4rpTile3, q4rpTile4, q4rpTile5, q4rpTile6, q4rpTile7, q4rpTile8}

// q4rpMaxTok is the most tokens a tile takes.
const q4rpMaxTok = len(q4rpTiles) - 1

// q4rpAct writes the nb block_q8_0 at x as nb 64-byte blocks at dst: the
// 32 quants, then at 32 the int32 -8·Σx (the tiles' starting value).
func q4rpAct(dst, x []byte, nb int) {
	switch {
	case useVNNI:
		q4rpActVNNI(&dst[0], &x[0], nb)
	case haveAVX2FMA:
		q4rpActAVX2(&dst[0], &x[0], nb)
	default:
		q4rpActRef(dst, x, nb)
	}
}

// q4rpActRef is q4rpAct in plain Go.
func q4rpActRef(dst, x []byte, nb int) {
	for b := range nb {
		q := x[b*Q8_0BlockBytes+2 : (b+1)*Q8_0BlockBytes]
		var s int32
		for _, v := range q {
			s += int32(int8(v))
		}
		copy(dst[b*64:b*64+32], q)
		binary.LittleEndian.PutUint32(dst[b*64+32:], uint32(-8*s))
	}
}

// q4rpActChunk reads the block scales of the n tokens from t0 of xq (nb
// block_q8_0 a token) into dx (scalesQ8AVX2) and converts them with
// q4rpAct into tb, as bytes a token: a batch driver's chunk of tokens.
func q4rpActChunk(dx []float32, tb, xq []byte, t0, n, nb, as int) {
	xb := nb * Q8_0BlockBytes
	scalesQ8AVX2(&xq[t0*xb], n*nb, &dx[0])
	for t := range n {
		q4rpAct(tb[t*as:], xq[(t0+t)*xb:], nb)
	}
}

// q4rpActVNNI is q4rpAct on VNNI CPUs, for n (≥ 1) blocks.
//
//go:noescape
func q4rpActVNNI(dst, x *byte, n int)

// q4rpTileSet is what rowsQ4RPTiles needs of one instruction set: the
// row-lane tiles of 1..N tokens (q4rpTiles, q4rpAVX2Tiles; nil below the
// smallest), the pack of a 16-row group into the ilGroupBytes layout (pf:
// bytes ahead to prefetch into L2, 0 for none; a pack may ignore it), and
// the most bytes a tile prefetches a block.
type q4rpTileSet struct {
	tiles  []ilTile
	pack   func(dst, w *byte, stride, nb, pf int)
	pfLine int
}

// q4rpVNNI is the AVX-512 VNNI tile set (q4rp_amd64.s): up to 8 tokens a
// call; the tiles prefetch at most 3 cache lines a block.
var q4rpVNNI = q4rpTileSet{tiles: q4rpTiles[:], pack: packVNNI16Q4, pfLine: 192}

// q4rpAVX2 is the AVX2 tile set (q4rp_avx2_amd64.s): 2 to 4 tokens a call;
// a tile's five cache lines a block cover the next group's 16·18 bytes a
// block, so its pack never prefetches.
var q4rpAVX2 = q4rpTileSet{
	tiles:  q4rpAVX2Tiles[:],
	pack:   func(dst, w *byte, stride, nb, _ int) { q4rpAVX2Pack(dst, w, stride, nb) },
	pfLine: q4rpAVX2PfLine,
}

// packVNNI16Q4 packs the 16 rows at w (stride bytes apart) as one group:
// vnniILPackQ4 for rows 0-7 at dst and for rows 8-15 at dst+32.
func packVNNI16Q4(dst, w *byte, stride, nb, pf int) {
	vnniILPackQ4(dst, w, stride, nb, pf)
	vnniILPackQ4((*byte)(unsafe.Add(unsafe.Pointer(dst), 32)), (*byte)(unsafe.Add(unsafe.Pointer(w), 8*stride)), stride, nb, pf)
}

// rowsQ4RP is QKernel.Rows of Q4_0 for matrices of rows%8 == 0: the
// repacked order (q4rp.go) for every token count: one token through
// rowsQ4RP1, more through the row-lane tiles of q4rp_amd64.s on VNNI CPUs
// or of q4rp_avx2_amd64.s on AVX2-only CPUs (or useVNNI off), both through
// rowsQ4RPTiles; plain Go with useAsm off. Arguments are checked by the
// caller.
func rowsQ4RP(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	nb := cols / QK
	switch {
	case !useAsm || nb == 0 || nTok == 0 || lo >= hi:
		rowsQ4_0RPRef(out, w, xq, nTok, rows, cols, lo, hi, DotQ4_0Q8_0)
	case nTok >= 2 && useVNNI:
		rowsQ4RPTiles(&q4rpVNNI, out, w, xq, nTok, rows, cols, lo, hi)
	case nTok >= 2 && haveAVX2FMA:
		rowsQ4RPTiles(&q4rpAVX2, out, w, xq, nTok, rows, cols, lo, hi)
	default:
		xb := nb * Q8_0BlockBytes
		for t := range nTok {
			rowsQ4RP1(out[t*rows:], w, xq[t*xb:], rows, cols, lo, hi)
		}
	}
}

// rowsQ4RPTiles is rowsQ4RP for 2 or more tokens with the tile set ts.
// Per chunk of tokens the activations are converted once (q4rpAct; tokens
// a block more than nb blocks apart, since 4 KiB strides alias in L1) and
// their scales read once; the first group's weights are prefetched
// meanwhile. Per 16-row group the weights are packed once per chunk, then
// the chunk's tokens run up to the largest tile a call, spread evenly over
// the calls, and the tiles prefetch the next group's weights meanwhile
// (the pack does, ilPrefetchGroups ahead, when they cannot). Fewer than 16
// last rows are packed from a copy padded with zero rows whose results are
// copied out.
func rowsQ4RPTiles(ts *q4rpTileSet, out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	nb := cols / QK
	maxTok := len(ts.tiles) - 1
	wb := nb * Q4_0BlockBytes
	as := (nb + 1) * 64 // converted bytes per token
	chunk := max(maxTok, rowsTokenBytes/as)
	nc := min(chunk, nTok)
	sp := pooled[float32](&scalePool, nc*nb+maxTok*16) // token scales [nc·nb], then a padded group's results
	defer scalePool.Put(sp)
	tp := pooled[byte](&bytePool, nc*as) // converted activations
	defer bytePool.Put(tp)
	pp := pooled[byte](&bytePool, nb*ilGroupBytes+16*wb) // a packed group, then a padded copy of the last rows
	defer bytePool.Put(pp)
	dx, tmpOut := (*sp)[:nc*nb], (*sp)[nc*nb:]
	tb, pk, pad := *tp, (*pp)[:nb*ilGroupBytes], (*pp)[nb*ilGroupBytes:]
	wAddr := uintptr(unsafe.Pointer(unsafe.SliceData(w)))
	prefetchBytes(&w[lo*wb], min(16, hi-lo)*wb) // the first group, while the activations are converted
	// The tokens are spread evenly over the chunks, so that none is left
	// with a single token (a chunk of n >= 2 gets tile calls of >= 2, and
	// the AVX2 set has no 1-token tile).
	for t0, cs := 0, (nTok+chunk-1)/chunk; t0 < nTok; cs-- {
		n := (nTok - t0 + cs - 1) / cs
		t1 := t0 + n
		q4rpActChunk(dx, tb, xq, t0, n, nb, as)
		calls := (n + maxTok - 1) / maxTok // tile calls a group
		pfPack := 0                        // the tiles prefetch the next group, if they have the blocks to
		if 16*wb > ts.pfLine*calls*nb {
			pfPack = ilPrefetchGroups * 16 * wb
		}
		for r := lo; r < hi; {
			nr := min(16, hi-r)
			var o []float32 // where the tiles write token t0's rows, ostride bytes a token
			os := 4 * rows
			if nr == 16 {
				ts.pack(&pk[0], &w[r*wb], wb, nb, pfPack)
			} else {
				copy(pad, w[r*wb:(r+nr)*wb])
				clear(pad[nr*wb:])
				ts.pack(&pk[0], &pad[0], wb, nb, 0)
				o, os = tmpOut, 64
			}
			next, nextEnd := r+nr, min(r+nr+16, hi)
			pf, pfStep := wAddr, 0
			if nextEnd > next {
				pf = wAddr + uintptr(next*wb)
				pfStep = min(ts.pfLine, ((nextEnd-next)*wb/(calls*nb)+63)&^63)
			}
			for t, c := t0, calls; t < t1; c-- {
				k := (t1 - t + c - 1) / c // the tokens spread evenly over the calls
				po := &tmpOut[0]
				if o == nil {
					po = &out[t*rows+r]
				}
				ts.tiles[k](&pk[0], &tb[(t-t0)*as], as, nb, po, os, &dx[(t-t0)*nb], 4*nb, pf, pfStep)
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
		t0 = t1
	}
}

// rowsQ4RP1 is rowsQ4RP for one token (a decode step: memory-bound):
// q4rpDot4 (or q4rpDot8, q4rpDot8L2 for rows over q4rpL1Row bytes) on the
// weights in place, 4 (8) rows a call, then 4 left over rows (parallelRows
// splits on multiples of 4) through q4rpDot4; the last rows run from a
// copy padded with zero rows.
func rowsQ4RP1(out []float32, w, xq []byte, rows, cols, lo, hi int) {
	nb := cols / QK
	wb := nb * Q4_0BlockBytes
	sp := pooled[float32](&scalePool, nb+8) // the token's scales, then a padded group's results
	defer scalePool.Put(sp)
	tp := pooled[byte](&bytePool, nb*64) // converted activations
	defer bytePool.Put(tp)
	dx, tmpOut, tb := (*sp)[:nb], (*sp)[nb:], *tp
	scalesQ8AVX2(&xq[0], nb, &dx[0])
	q4rpAct(tb, xq, nb)
	r := lo
	switch {
	case !useVNNI:
		for ; r+4 <= hi; r += 4 {
			q4rpDot4AVX2(&w[r*wb], wb, &tb[0], nb, &out[r], &dx[0])
		}
	case q4rpUseDot4:
		for ; r+4 <= hi; r += 4 {
			q4rpDot4(&w[r*wb], wb, &tb[0], nb, &out[r], &dx[0])
		}
	case wb > q4rpL1Row:
		for ; r+8 <= hi; r += 8 {
			q4rpDot8L2(&w[r*wb], wb, &tb[0], nb, &out[r], &dx[0])
		}
	default:
		for ; r+8 <= hi; r += 8 {
			q4rpDot8(&w[r*wb], wb, &tb[0], nb, &out[r], &dx[0])
		}
	}
	if useVNNI && r+4 <= hi { // 4 rows left over from 8-row calls: no copy
		q4rpDot4(&w[r*wb], wb, &tb[0], nb, &out[r], &dx[0])
		r += 4
	}
	if r < hi {
		pp := pooled[byte](&bytePool, 8*wb)
		defer bytePool.Put(pp)
		pad := *pp
		copy(pad, w[r*wb:hi*wb])
		clear(pad[(hi-r)*wb:])
		switch {
		case !useVNNI: // fewer than 4 rows left
			q4rpDot4AVX2(&pad[0], wb, &tb[0], nb, &tmpOut[0], &dx[0])
		default:
			q4rpDot8(&pad[0], wb, &tb[0], nb, &tmpOut[0], &dx[0])
		}
		copy(out[r:hi], tmpOut[:hi-r])
	}
}

func init() {
	// Without AVX2 (q8_amd64.go registers nothing) Rows still follows the
	// repacked order for rows%8 == 0: rowsQ4_0 falls back to plain Go.
	RegisterQKernel(quant.Q4_0, QKernel{Rows: rowsQ4_0})
}
