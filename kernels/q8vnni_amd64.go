//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// haveVNNI reports whether the CPU and OS support AVX-512 VNNI on ymm
// registers (AVX512F, AVX512VL, AVX512_VNNI; x/sys/cpu reports these only
// when the OS saves the AVX-512 state). The Q8_0 and Q4_0 kernels of
// q8vnni_amd64.s and q8il_amd64.s need it; without it rowsQ's AVX2 tiles
// run.
var haveVNNI = haveAVX2FMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI

// useVNNI selects the VNNI kernels; tests turn it off to compare them with
// the AVX2 path.
var useVNNI = haveVNNI

// Assembly of q8vnni_amd64.s (see the comment at its top). Every count is
// at least 1.

// vnniQ4ActInit writes each of n block_q8_0 at x as 64 bytes at dst: its
// 32 quants, then the int32 lanes -8·Σ_{j=4k}^{4k+3} x_j.
//
//go:noescape
func vnniQ4ActInit(dst, x *byte, n int)

// vnniQ4Dot4 sets out[r] to the Q4_0 dot product of weight row r at w +
// r·stride (r < 4) and one token's activations at a (vnniQ4ActInit
// blocks) with their scales dx[b] (scalesQ8AVX2), bit-identical to
// q4Dot4AVX2.
//
//go:noescape
func vnniQ4Dot4(w *byte, stride int, a *byte, nb int, out *float32, dx *float32)

// rowsQVNNI is QKernel.Rows for Q8_0 (q4 false, bb = 34) and Q4_0 (q4
// true, bb = 18) weights on VNNI CPUs. From ilMinTok tokens on rowsQIL's
// row-lane tiles (q8il_amd64.s) run. A single token runs 4 rows a call
// through vnniQ4Dot4 (Q4_0, on its activations converted once with their
// lanes' starting values) or k4, rowsQ's 4-row AVX2 kernel (Q8_0), and the
// last rows through the 1-row dot. Every element is bit-identical to dot
// for its row and token (activations in [-127, 127]).
func rowsQVNNI(out []float32, w, xq []byte, nTok, rows, cols, lo, hi, bb int, q4 bool,
	k4 func(*byte, int, *byte, int, *float32), dot func(w, x []byte) float32) {
	if nTok >= ilMinTok {
		rowsQIL(out, w, xq, nTok, rows, cols, lo, hi, bb, q4)
		return
	}
	nb := cols / QK
	wb, xb := nb*bb, nb*Q8_0BlockBytes
	var dx []float32 // Q4_0: the token's scales
	var tb []byte    // Q4_0: the token's converted activations
	if q4 {
		sp := pooled[float32](&scalePool, nb)
		defer scalePool.Put(sp)
		tp := pooled[byte](&bytePool, nb*64)
		defer bytePool.Put(tp)
		dx, tb = *sp, *tp
	}
	for t := 0; t < nTok; t++ {
		if q4 {
			scalesQ8AVX2(&xq[t*xb], nb, &dx[0])
			vnniQ4ActInit(&tb[0], &xq[t*xb], nb)
		}
		r := lo
		for ; r+4 <= hi; r += 4 {
			if q4 {
				vnniQ4Dot4(&w[r*wb], wb, &tb[0], nb, &out[t*rows+r], &dx[0])
			} else {
				k4(&w[r*wb], wb, &xq[t*xb], nb, &out[t*rows+r])
			}
		}
		for ; r < hi; r++ {
			out[t*rows+r] = dot(w[r*wb:(r+1)*wb], xq[t*xb:(t+1)*xb])
		}
	}
}
