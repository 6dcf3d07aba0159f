//go:build amd64 && !purego

package kernels

import (
	"encoding/binary"

	"golang.org/x/sys/cpu"

	"github.com/llmpipe/llmpipe/quant"
)

// haveKQuantAsm reports whether the k-quant assembly can run: AVX2 and FMA
// (haveAVX2FMA) and F16C for the fp16 block scales (VCVTPH2PS).
var haveKQuantAsm = haveAVX2FMA && cpu.X86.HasF16C

// haveKQuant512 reports whether the AVX-512 four-token kernels can run:
// the AVX2 ones' features plus AVX512F, BW, VL and VNNI (x/sys/cpu checks
// the OS saves the zmm and mask state).
var haveKQuant512 = haveKQuantAsm && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW &&
	cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI

// useKQuant512 selects the AVX-512 four-token kernels where they run;
// tests turn it off to reach the AVX2 ones. Both give the same bits.
var useKQuant512 = haveKQuant512

// dotQ4KAVX2 returns the dot product of nb block_q4_K at w and nb
// block_q8_K at x in ggml's AVX2 order (see kquant_amd64.s). Ends with
// VZEROUPPER.
//
//go:noescape
func dotQ4KAVX2(w, x *byte, nb int) float32

// dotQ6KAVX2 is dotQ4KAVX2 for block_q6_K weights.
//
//go:noescape
func dotQ6KAVX2(w, x *byte, nb int) float32

// dotQ4KFast is the Q4_K kernel's Dot: the assembly where it can run,
// dotQ4KRef otherwise. It sums the float parts in ggml's AVX2 order, so it
// matches the reference to rounding, not bit for bit. The integer parts
// use the activation block's bsums, as ggml's do: x must come from a Q8_K
// quantizer (bsums the sums of its quants).
//
//	w: [n/256]block_q4_K   x: [n/256]block_q8_K
func dotQ4KFast(w, x []byte, n int) float32 {
	nb := n / qkK
	if !useAsm || !haveKQuantAsm || nb == 0 {
		return dotQ4KRef(w, x, n)
	}
	_, _ = w[nb*q4KBlockBytes-1], x[nb*q8KBlockBytes-1]
	return dotQ4KAVX2(&w[0], &x[0], nb)
}

// dotQ6KFast is dotQ4KFast for Q6_K weights (dotQ6KRef without the
// assembly). The -32 offset of the quants is taken off through the bsums,
// as ggml's AVX2 kernel does, so x must come from a Q8_K quantizer.
//
//	w: [n/256]block_q6_K   x: [n/256]block_q8_K
func dotQ6KFast(w, x []byte, n int) float32 {
	nb := n / qkK
	if !useAsm || !haveKQuantAsm || nb == 0 {
		return dotQ6KRef(w, x, n)
	}
	_, _ = w[nb*q6KBlockBytes-1], x[nb*q8KBlockBytes-1]
	return dotQ6KAVX2(&w[0], &x[0], nb)
}

// dotQ4KAVX2x4 sets *(out + t·ostride bytes) = dotQ4KAVX2(w, x + t·xstride,
// nb) for t = 0..3, bit for bit, unpacking each weight block once.
//
//go:noescape
func dotQ4KAVX2x4(w, x *byte, xstride, nb int, out *float32, ostride int)

// dotQ4KAVX512x4 is dotQ4KAVX2x4 in AVX-512 (64 quants per instruction,
// VPDPWSSD), bit for bit.
//
//go:noescape
func dotQ4KAVX512x4(w, x *byte, xstride, nb int, out *float32, ostride int)

// dotQ4KAVX512x8s is dotQ4KAVX512x4 for eight tokens and nrows weight
// rows (row r at w + r·wstride, its outputs at out + 4r bytes), bit for
// bit, with the token-side work of each block (bsum pair sums, y.d broadcasts) read
// from side, which q4KSide fills once per Rows call rather than once per
// weight row.
//
//go:noescape
func dotQ4KAVX512x8s(w *byte, wstride int, x *byte, xstride, nb int, out *float32, ostride int, side *byte, nrows int)

// q4KSideBytes is the side data of one 256-value block for eight tokens:
// four token pairs of 64 bytes.
const q4KSideBytes = 4 * 64

// q4KSide (the reference of q4KSideAVX2) fills side with dotQ4KAVX512x8s's token-side data for the first
// nTok (a multiple of 8) tokens of xq ([nTok][nb]block_q8_K): for group g
// of eight tokens, block b and token pair p (tokens 8g+2p, 8g+2p+1), the
// 64 bytes at ((g·nb+b)·4+p)·64 are each token's 8 int16 sums
// bsums[2i]+bsums[2i+1] (as VPHADDW forms them, wrapping), then each
// token's float32 y.d four times.
func q4KSide(side, xq []byte, nTok, nb int) {
	xb := nb * q8KBlockBytes
	for g := 0; g < nTok/8; g++ {
		for b := 0; b < nb; b++ {
			for p := 0; p < 4; p++ {
				o := side[((g*nb+b)*4+p)*64:][:64]
				for h := 0; h < 2; h++ {
					x := xq[(8*g+2*p+h)*xb+b*q8KBlockBytes:][:q8KBlockBytes]
					for i := 0; i < 8; i++ {
						s := binary.LittleEndian.Uint16(x[260+4*i:]) + binary.LittleEndian.Uint16(x[262+4*i:])
						binary.LittleEndian.PutUint16(o[16*h+2*i:], s)
					}
					d := binary.LittleEndian.Uint32(x)
					for k := 0; k < 4; k++ {
						binary.LittleEndian.PutUint32(o[32+16*h+4*k:], d)
					}
				}
			}
		}
	}
}

// q4KSideAVX2 is q4KSide for ngroups groups of eight tokens, byte for
// byte, in AVX2 (one VPHADDW and one broadcast per token and block).
//
//go:noescape
func q4KSideAVX2(side, xq *byte, xstride, nb, ngroups int)

// dotQ6KAVX2x4 is dotQ4KAVX2x4 for block_q6_K weights.
//
//go:noescape
func dotQ6KAVX2x4(w, x *byte, xstride, nb int, out *float32, ostride int)

// dotQ6KAVX512x8 is dotQ6KAVX2x4 for eight tokens in AVX-512 (64 quants
// per instruction, VPDPWSSD), bit for bit.
//
//go:noescape
func dotQ6KAVX512x8(w, x *byte, xstride, nb int, out *float32, ostride int)

// dotQ4KRowsAVX2 sets out[r] = dotQ4KAVX2(w + r·wstride, x, nb) for
// r < nrows, bit for bit, in one call (the one-token path of Rows).
//
//go:noescape
func dotQ4KRowsAVX2(w *byte, wstride int, x *byte, nb int, out *float32, nrows int)

// dotQ6KRowsAVX2 is dotQ4KRowsAVX2 for block_q6_K weights.
//
//go:noescape
func dotQ6KRowsAVX2(w *byte, wstride int, x *byte, nb int, out *float32, nrows int)

// kqRowTile is how many weight rows the k-quant Rows kernels run through
// for each group of four tokens before moving to the next rows: 32 rows of
// 4096 Q4_K columns are 72 KiB, which stays in L2 while every token group
// passes over them.
const kqRowTile = 32

// kqDotN is the signature of the multi-token k-quant kernels: for
// t = 0..N-1, *(out + t·ostride bytes) = dot(w, x + t·xstride, nb).
type kqDotN func(w, x *byte, xstride, nb int, out *float32, ostride int)

// rowsKQ is QKernel.Rows for the k-quants: out[t·rows+r] = dot(row r of
// w, token t of xq) for r in [lo, hi), every t < nTok, eight tokens per
// dot8 call where there is one, then four per dot4 call (each
// bit-identical to the one-token kernel, see dotQ4KAVX2x4) and the
// leftover tokens one at a time, all rows of the tile per dot1 call.
// Without the assembly it loops over dot (the reference).
func rowsKQ(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int,
	wBlock int, dot func(w, x []byte, n int) float32,
	dot1 func(w *byte, wstride int, x *byte, nb int, out *float32, nrows int),
	dot4, dot8 kqDotN) {
	nb := cols / qkK
	wb, xb := nb*wBlock, nb*q8KBlockBytes
	if lo >= hi || nTok == 0 {
		return
	}
	if !useAsm || !haveKQuantAsm || nb == 0 {
		for t := 0; t < nTok; t++ {
			for r := lo; r < hi; r++ {
				out[t*rows+r] = dot(w[r*wb:(r+1)*wb], xq[t*xb:(t+1)*xb], cols)
			}
		}
		return
	}
	_, _, _ = w[hi*wb-1], xq[nTok*xb-1], out[(nTok-1)*rows+hi-1]
	for r0 := lo; r0 < hi; r0 += kqRowTile {
		r1 := min(r0+kqRowTile, hi)
		t := 0
		if dot8 != nil {
			for ; t+8 <= nTok; t += 8 {
				for r := r0; r < r1; r++ {
					dot8(&w[r*wb], &xq[t*xb], xb, nb, &out[t*rows+r], 4*rows)
				}
			}
		}
		for ; t+4 <= nTok; t += 4 {
			for r := r0; r < r1; r++ {
				dot4(&w[r*wb], &xq[t*xb], xb, nb, &out[t*rows+r], 4*rows)
			}
		}
		for ; t < nTok; t++ {
			dot1(&w[r0*wb], wb, &xq[t*xb], nb, &out[t*rows+r0], r1-r0)
		}
	}
}

// rowsQ4K is QKernel.Rows for Q4_K. The order of each output depends on
// the matrix, as in llama.cpp on x86: a matrix whose row count is a
// multiple of 8 (repackedRows) is what llama.cpp repacks into
// block_q4_Kx8 at load, so it is computed in the order of
// ggml_gemv/gemm_q4_K_8x8_q8_K (dotQ4KRPRef, rowsQ4KRP) for every token
// count, one token and any batch giving the same bits; any other matrix in
// ggml_vec_dot_q4_K_q8_K's order (dotQ4KFast). QKernel.Dot of Q4_K has no
// matrix context and keeps the vec_dot order, so for repacked matrices Rows
// differs from Dot (by float rounding).
func rowsQ4K(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	if repackedRows(rows) {
		rowsQ4KRP(out, w, xq, nTok, rows, cols, lo, hi)
		return
	}
	var dot4 kqDotN = dotQ4KAVX2x4
	if useKQuant512 && haveKQuant512 {
		dot4 = dotQ4KAVX512x4
		if nb := cols / qkK; useAsm && nTok >= 8 && nb > 0 && lo < hi {
			// Eight tokens at a time with the token-side data made once.
			n8 := nTok / 8 * 8
			wb, xb := nb*q4KBlockBytes, nb*q8KBlockBytes
			_, _, _ = w[hi*wb-1], xq[nTok*xb-1], out[(nTok-1)*rows+hi-1]
			side := getScratch(n8 / 8 * nb * q4KSideBytes)
			q4KSideAVX2(&side[0], &xq[0], xb, nb, n8/8)
			for r0 := lo; r0 < hi; r0 += kqRowTile {
				r1 := min(r0+kqRowTile, hi)
				for t := 0; t < n8; t += 8 {
					dotQ4KAVX512x8s(&w[r0*wb], wb, &xq[t*xb], xb, nb, &out[t*rows+r0], 4*rows,
						&side[t/8*nb*q4KSideBytes], r1-r0)
				}
			}
			putScratch(side)
			if n8 == nTok {
				return
			}
			out, xq, nTok = out[n8*rows:], xq[n8*xb:], nTok-n8
		}
	}
	rowsKQ(out, w, xq, nTok, rows, cols, lo, hi, q4KBlockBytes, dotQ4KFast, dotQ4KRowsAVX2, dot4, nil)
}

func rowsQ6K(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	var dot8 kqDotN
	if useKQuant512 && haveKQuant512 {
		dot8 = dotQ6KAVX512x8
	}
	rowsKQ(out, w, xq, nTok, rows, cols, lo, hi, q6KBlockBytes, dotQ6KFast, dotQ6KRowsAVX2, dotQ6KAVX2x4, dot8)
}

func init() {
	if haveKQuantAsm {
		RegisterQKernel(quant.Q4_K, QKernel{Dot: dotQ4KFast, Rows: rowsQ4K})
		RegisterQKernel(quant.Q6_K, QKernel{Dot: dotQ6KFast, Rows: rowsQ6K})
	}
}
