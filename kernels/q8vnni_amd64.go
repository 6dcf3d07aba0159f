//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// haveVNNI reports whether the CPU and OS support AVX-512 VNNI on ymm
// registers (AVX512F, AVX512VL, AVX512_VNNI; x/sys/cpu reports these only
// when the OS saves the AVX-512 state). The Q8_0 and Q4_0 prompt tiles of
// q8vnni_amd64.s need it; without it rowsQ's AVX2 tiles run.
var haveVNNI = haveAVX2FMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI

// useVNNI selects the VNNI tiles; tests turn it off to compare them with
// the AVX2 path.
var useVNNI = haveVNNI

// Assembly of q8vnni_amd64.s (see the comment at its top). Every count is
// at least 1.

// vnniQ8ActXor writes the 32 quants of each of n block_q8_0 at x, XOR
// 0x80 (x+128 as unsigned bytes), as n 32-byte blocks at dst.
//
//go:noescape
func vnniQ8ActXor(dst, x *byte, n int)

// vnniQ8RowInit writes, for the nb Q8_0 blocks of the 4 weight rows at w
// (rows stride bytes apart), the int32 lanes -128·Σ_{j=4k}^{4k+3} q_j of
// row r, block b at dst + 128b + 32r, and the blocks' scales as float32 at
// dw[4b+r] (what scales4AVX2 writes, read while the block is in L1).
//
//go:noescape
func vnniQ8RowInit(dst, w *byte, stride, nb int, dw *float32)

// vnniQ4Nibbles writes the 32 nibbles q ∈ [0,15] of each of nb
// block_q4_0 at w (low nibbles first, ggml's order) as 32 bytes at dst and
// the block's scale as float32 at dw[4b] (the row's column of scales4AVX2's
// table), prefetching into L2 the bytes pf further on (rowsQVNNI: the same
// row four row groups on).
//
//go:noescape
func vnniQ4Nibbles(dst, w *byte, nb int, pf int, dw *float32)

// vnniQ4ActInit writes each of n block_q8_0 at x as 64 bytes at dst: its
// 32 quants, then the int32 lanes -8·Σ_{j=4k}^{4k+3} x_j.
//
//go:noescape
func vnniQ4ActInit(dst, x *byte, n int)

// vnniQ8Tile4x4 prefetches into L2 the weights 16 rows on (four row
// groups ahead: with few tokens, as in the server's batched decode, the
// weights stream from DRAM) and sets the float32 at out + t·ostride bytes + 4r to the
// Q8_0 dot product of weight row r at w + r·stride (block_q8_0) and token t
// at u + t·ustride (vnniQ8ActXor blocks), for r, t < 4, with the lanes
// started from init (vnniQ8RowInit) and the scales dw[4b+r] (scales4AVX2)
// and dx[t·nb+b] (scalesQ8AVX2).
//
//go:noescape
func vnniQ8Tile4x4(w *byte, stride int, u *byte, ustride int, nb int, init *byte, out *float32, ostride int, dw, dx *float32)

// vnniQ4Tile4x4 is vnniQ8Tile4x4 for Q4_0 weights: row r's nibbles at
// nib + r·nstride (vnniQ4Nibbles), token t at a + t·astride
// (vnniQ4ActInit blocks, which carry the lanes' starting values); unused
// is not read.
//
//go:noescape
func vnniQ4Tile4x4(nib *byte, nstride int, a *byte, astride int, nb int, unused *byte, out *float32, ostride int, dw, dx *float32)

// vnniQ4Dot4 sets out[r] to the Q4_0 dot product of weight row r at w +
// r·stride (r < 4) and one token's activations at a (vnniQ4ActInit
// blocks) with their scales dx[b] (scalesQ8AVX2), bit-identical to
// q4Dot4AVX2.
//
//go:noescape
func vnniQ4Dot4(w *byte, stride int, a *byte, nb int, out *float32, dx *float32)

// rowsQVNNI is QKernel.Rows for Q8_0 (q4 false, bb = 34) and Q4_0 (q4
// true, bb = 18) weights on VNNI CPUs: 4 rows × 4 tokens per assembly
// call. Tokens go in chunks whose converted activations fit in
// rowsTokenBytes; per chunk the activations are converted once (Q8_0: XOR
// 0x80; Q4_0: with their lanes' starting values) and their scales read
// once; per 4-row group the weights' scales and (Q8_0) lane starting values
// or (Q4_0) unpacked nibbles are made once per chunk, in one pass. The
// tokens of a chunk that do not fill a tile (Q4_0: a decode step's one
// token too) run vnniQ4Dot4 (Q4_0) or k4, rowsQ's 4-row × 1-token AVX2
// kernel (Q8_0); the last rows run the 1-row dot. From ilMinTok tokens on
// rowsQIL's row-lane tiles (q8il_amd64.s) run instead. Every element is
// bit-identical to dot for its row and token (activations in [-127, 127]).
func rowsQVNNI(out []float32, w, xq []byte, nTok, rows, cols, lo, hi, bb int, q4 bool,
	k4 func(*byte, int, *byte, int, *float32), dot func(w, x []byte) float32) {
	if nTok >= ilMinTok {
		rowsQIL(out, w, xq, nTok, rows, cols, lo, hi, bb, q4)
		return
	}
	nb := cols / QK
	wb, xb := nb*bb, nb*Q8_0BlockBytes
	ub := 32 // converted bytes per activation block
	if q4 {
		ub = 64
	}
	chunk := max(4, rowsTokenBytes/(nb*ub)&^3)
	nc := min(chunk, nTok)
	sp := pooled[float32](&scalePool, (4+nc)*nb) // scales: [4·nb] of the row group, [nc·nb] of the tokens
	defer scalePool.Put(sp)
	tp := pooled[byte](&bytePool, nc*nb*ub) // converted activations
	defer bytePool.Put(tp)
	rp := pooled[byte](&bytePool, 4*nb*32) // Q8_0: lane starting values [nb][4][8]int32; Q4_0: nibbles [4][nb][32]
	defer bytePool.Put(rp)
	scales, tb, rb := *sp, *tp, *rp
	dw, dx := scales[:4*nb], scales[4*nb:]
	for t0 := 0; t0 < nTok; t0 += chunk {
		t1 := min(t0+chunk, nTok)
		n := t1 - t0
		scalesQ8AVX2(&xq[t0*xb], n*nb, &dx[0])
		if q4 {
			vnniQ4ActInit(&tb[0], &xq[t0*xb], n*nb)
		} else {
			vnniQ8ActXor(&tb[0], &xq[t0*xb], n*nb)
		}
		r := lo
		for ; r+4 <= hi; r += 4 {
			wp := &w[r*wb]
			if n >= 4 {
				if q4 {
					for i := range 4 {
						vnniQ4Nibbles(&rb[i*nb*32], &w[(r+i)*wb], nb, 16*wb, &dw[i])
					}
				} else {
					vnniQ8RowInit(&rb[0], wp, wb, nb, &dw[0])
				}
			}
			t := t0
			for ; t+4 <= t1; t += 4 {
				tq := &tb[(t-t0)*nb*ub]
				if q4 {
					vnniQ4Tile4x4(&rb[0], nb*32, tq, nb*ub, nb, nil, &out[t*rows+r], 4*rows, &dw[0], &dx[(t-t0)*nb])
				} else {
					vnniQ8Tile4x4(wp, wb, tq, nb*ub, nb, &rb[0], &out[t*rows+r], 4*rows, &dw[0], &dx[(t-t0)*nb])
				}
			}
			for ; t < t1; t++ {
				if q4 {
					vnniQ4Dot4(wp, wb, &tb[(t-t0)*nb*ub], nb, &out[t*rows+r], &dx[(t-t0)*nb])
				} else {
					k4(wp, wb, &xq[t*xb], nb, &out[t*rows+r])
				}
			}
		}
		for ; r < hi; r++ {
			for t := t0; t < t1; t++ {
				out[t*rows+r] = dot(w[r*wb:(r+1)*wb], xq[t*xb:(t+1)*xb])
			}
		}
	}
}
