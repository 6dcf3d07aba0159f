//go:build amd64 && !purego

package kernels

import (
	"sync"

	"github.com/llmpipe/llmpipe/quant"
)

// Assembly kernels of q8_amd64.s (AVX2, FMA, F16C; every one ends with
// VZEROUPPER). The dot products follow ggml's AVX2 order (see the comment
// at the top of q8_amd64.s): per output element one 8-lane float32
// accumulator, one FMA per 32-element block, then hsum_float_8. The 1-row,
// 4-row and 4-row × 2-token kernels do exactly that per element, so their
// results are bit-identical whatever the tiling.

// q8DotAVX2 returns the dot product of nb (≥ 1) block_q8_0 at w and x.
//
//go:noescape
func q8DotAVX2(w, x *byte, nb int) float32

// q8Dot4AVX2 sets out[i] = q8DotAVX2(w + i·stride, x, nb) for i < 4.
//
//go:noescape
func q8Dot4AVX2(w *byte, stride int, x *byte, nb int, out *float32)

// q8Dot4x2AVX2 sets out[t·ostride bytes + i] = q8DotAVX2(w + i·stride,
// x + t·xstride, nb) for rows i < 4 and tokens t < 2, reading the scales
// as float32 from tables: dw[4b+i] (scales4AVX2) and dx[t·nb+b]
// (scalesQ8AVX2).
//
//go:noescape
func q8Dot4x2AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, dw, dx *float32)

// q4DotAVX2 returns the dot product of nb (≥ 1) block_q4_0 at w and nb
// block_q8_0 at x.
//
//go:noescape
func q4DotAVX2(w, x *byte, nb int) float32

// q4Dot4AVX2 is q8Dot4AVX2 for block_q4_0 weights.
//
//go:noescape
func q4Dot4AVX2(w *byte, stride int, x *byte, nb int, out *float32)

// q4UnpackRowAVX2 rewrites nb (≥ 1) block_q4_0 at w as nb 34-byte blocks
// at dst (fp16 scale, then the 32 weights q-8 as int8 in ggml's order),
// which q8Dot4x2AVX2 reads as Q8_0 weights: for activations in [-127,
// 127], all Q8_0 quantization produces, the products are the exact
// (q-8)·x of q4Dot4AVX2, so the results are the same bits.
//
//go:noescape
func q4UnpackRowAVX2(dst, w *byte, nb int)

// scales4AVX2 sets dst[4b+i] to the float32 scale of block b (of bb bytes)
// of row i at w + i·stride, for b < nb (≥ 1) and i < 4.
//
//go:noescape
func scales4AVX2(w *byte, stride int, nb int, bb int, dst *float32)

// scalesQ8AVX2 sets dst[i] to the float32 scale of block_q8_0 i at x, for
// i < n (≥ 1).
//
//go:noescape
func scalesQ8AVX2(x *byte, n int, dst *float32)

// quantizeQ8_0AVX2 writes nb (≥ 1) block_q8_0 of the 32·nb floats at x to
// dst, byte-identical to quant's reference quantizer.
//
//go:noescape
func quantizeQ8_0AVX2(dst *byte, x *float32, nb int)

// quantizeRowQ8_0Fast quantizes x into dst (lengths checked by the caller)
// with the assembly quantizer and reports whether it could.
func quantizeRowQ8_0Fast(dst []byte, x []float32) bool {
	if !useAsm {
		return false
	}
	if len(x) > 0 {
		quantizeQ8_0AVX2(&dst[0], &x[0], len(x)/QK)
	}
	return true
}

// dotQ8_0Fast returns the assembly Q8_0×Q8_0 dot product of w and x
// (lengths checked by the caller) and whether it ran.
func dotQ8_0Fast(w, x []byte) (float32, bool) {
	if !useAsm {
		return 0, false
	}
	if len(w) == 0 {
		return 0, true
	}
	return q8DotAVX2(&w[0], &x[0], len(w)/Q8_0BlockBytes), true
}

// dotQ4_0Fast returns the assembly Q4_0×Q8_0 dot product of w and x
// (lengths checked by the caller) and whether it ran.
func dotQ4_0Fast(w, x []byte) (float32, bool) {
	if !useAsm {
		return 0, false
	}
	if len(w) == 0 {
		return 0, true
	}
	return q4DotAVX2(&w[0], &x[0], len(w)/Q4_0BlockBytes), true
}

// rowsTokenBytes is about how many bytes of converted activations one
// pass of rowsQ keeps hot (in L2, 512 KiB here) while it sweeps 4-row
// groups of weights across them.
const rowsTokenBytes = 256 << 10

// scalePool and bytePool hold the Rows kernels' scratch (scale tables;
// unpacked or converted blocks) as *[]float32 and *[]byte.
var scalePool, bytePool sync.Pool

// pooled returns a slice of length n from p, which holds *[]T, reusing its
// array when it is big enough; give the pointer back with p.Put (keeping
// the pointer, not the slice, makes the round trip allocation-free).
func pooled[T any](p *sync.Pool, n int) *[]T {
	s, _ := p.Get().(*[]T)
	if s == nil || cap(*s) < n {
		v := make([]T, n)
		s = &v
	}
	*s = (*s)[:n]
	return s
}

// rowsQ is QKernel.Rows for Q8_0 (bb = 34) and Q4_0 (bb = 18) weights:
// 4 rows × 2 tokens per assembly call (4 × 1 for an odd last token, Dot for
// the last rows when hi-lo is not a multiple of 4). Tokens are taken in
// chunks whose activations fit in rowsTokenBytes; the scales of a chunk's
// tokens and of each 4-row group are converted to float32 once; with
// unpack (Q4_0) each 4-row group is also rewritten in Q8_0 layout once
// per chunk and the 4 × 2 tiles run k42 on that. Every element is
// bit-identical to dot for its row and token (activations in [-127, 127],
// which is all Q8_0 quantization produces).
func rowsQ(out []float32, w, xq []byte, nTok, rows, cols, lo, hi, bb int,
	k4 func(*byte, int, *byte, int, *float32), k42 func(*byte, int, *byte, int, int, *float32, int, *float32, *float32),
	unpack func(dst, w *byte, nb int), dot func(w, x []byte) float32) {
	nb := cols / QK
	wb, xb := nb*bb, nb*Q8_0BlockBytes
	checkRowsArgs(out, w, xq, nTok, rows, cols, lo, hi, bb)
	if !useAsm || nb == 0 {
		for r := lo; r < hi; r++ {
			for t := 0; t < nTok; t++ {
				out[t*rows+r] = dot(w[r*wb:(r+1)*wb], xq[t*xb:(t+1)*xb])
			}
		}
		return
	}
	chunk := max(2, rowsTokenBytes/xb&^1)
	var scales []float32 // [4·nb] row-group scales, then [chunk·nb] token scales
	var ub []byte        // a 4-row group of Q4_0 weights unpacked to Q8_0 layout
	if nTok >= 2 && hi-lo >= 4 {
		sp := pooled[float32](&scalePool, (4+min(chunk, nTok))*nb)
		defer scalePool.Put(sp)
		scales = *sp
		if unpack != nil {
			up := pooled[byte](&bytePool, 4*nb*Q8_0BlockBytes)
			defer bytePool.Put(up)
			ub = *up
		}
	}
	for t0 := 0; t0 < nTok; t0 += chunk {
		t1 := min(t0+chunk, nTok)
		var dw, dx []float32
		if scales != nil && t1-t0 >= 2 {
			dw, dx = scales[:4*nb], scales[4*nb:]
			scalesQ8AVX2(&xq[t0*xb], (t1-t0)*nb, &dx[0])
		}
		r := lo
		for ; r+4 <= hi; r += 4 {
			wp := &w[r*wb]
			t := t0
			if dw != nil {
				scales4AVX2(wp, wb, nb, bb, &dw[0])
				kp, ks := wp, wb
				if ub != nil && t+2 <= t1 {
					ks = nb * Q8_0BlockBytes
					for i := range 4 {
						unpack(&ub[i*ks], &w[(r+i)*wb], nb)
					}
					kp = &ub[0]
				}
				for ; t+2 <= t1; t += 2 {
					k42(kp, ks, &xq[t*xb], xb, nb, &out[t*rows+r], 4*rows, &dw[0], &dx[(t-t0)*nb])
				}
			}
			if t < t1 {
				k4(wp, wb, &xq[t*xb], nb, &out[t*rows+r])
			}
		}
		for ; r < hi; r++ {
			for t := t0; t < t1; t++ {
				out[t*rows+r] = dot(w[r*wb:(r+1)*wb], xq[t*xb:(t+1)*xb])
			}
		}
	}
}

func rowsQ8_0(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	if useAsm && useVNNI && nTok >= 2 && hi-lo >= 4 && cols >= QK && rowsArgsOK(out, w, xq, nTok, rows, cols, lo, hi, Q8_0BlockBytes) {
		rowsQVNNI(out, w, xq, nTok, rows, cols, lo, hi, Q8_0BlockBytes, false, q8Dot4AVX2, DotQ8_0)
		return
	}
	if useAsm && !useVNNI && nTok >= 2 && hi-lo >= 2 && cols >= QK && rowsArgsOK(out, w, xq, nTok, rows, cols, lo, hi, Q8_0BlockBytes) {
		rowsQ8W16(out, w, xq, nTok, rows, cols, lo, hi) // AVX2 only: q8tile_avx2_amd64.go
		return
	}
	rowsQ(out, w, xq, nTok, rows, cols, lo, hi, Q8_0BlockBytes, q8Dot4AVX2, q8Dot4x2AVX2, nil, DotQ8_0)
}

// rowsQ4_0 is QKernel.Rows of Q4_0. Matrices of rows%8 == 0 follow
// llama.cpp's repacked order for every token count (rowsQ4RP; see
// q4rp.go: what ggml's CPU backend computes for them on x86), the others
// ggml's vec_dot order (bit-identical to Dot).
func rowsQ4_0(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	if repackedRows(rows) {
		checkRowsArgs(out, w, xq, nTok, rows, cols, lo, hi, Q4_0BlockBytes)
		rowsQ4RP(out, w, xq, nTok, rows, cols, lo, hi)
		return
	}
	if useAsm && useVNNI && nTok >= 1 && hi-lo >= 4 && cols >= QK && rowsArgsOK(out, w, xq, nTok, rows, cols, lo, hi, Q4_0BlockBytes) {
		rowsQVNNI(out, w, xq, nTok, rows, cols, lo, hi, Q4_0BlockBytes, true, q4Dot4AVX2, DotQ4_0Q8_0)
		return
	}
	rowsQ(out, w, xq, nTok, rows, cols, lo, hi, Q4_0BlockBytes, q4Dot4AVX2, q8Dot4x2AVX2, q4UnpackRowAVX2, DotQ4_0Q8_0)
}

func init() {
	if haveAVX2FMA {
		RegisterQKernel(quant.Q8_0, QKernel{
			Dot:  func(w, x []byte, n int) float32 { return DotQ8_0(w, x) },
			Rows: rowsQ8_0,
		})
		RegisterQKernel(quant.Q4_0, QKernel{
			Dot:  func(w, x []byte, n int) float32 { return DotQ4_0Q8_0(w, x) },
			Rows: rowsQ4_0,
		})
	}
}
