//go:build amd64 && !purego

package kernels

import (
	"fmt"

	"golang.org/x/sys/cpu"

	"github.com/llmpipe/llmpipe/quant"
)

//go:generate go run qother_asmgen.go

// haveOtherQAsm reports whether the assembly kernels of qother_amd64.s can
// run: AVX2 and FMA, and F16C for the fp16 block scales (VCVTPH2PS).
var haveOtherQAsm = haveAVX2FMA && cpu.X86.HasF16C

// q5kDotAVX2 returns the dot product of nb ≥ 1 block_q5_K (w) and nb
// block_q8_K (x), ggml's AVX2 scheme for ggml_vec_dot_q5_K_q8_K. It ends
// with VZEROUPPER. Implemented in qother_amd64.s.
//
//go:noescape
func q5kDotAVX2(w, x *byte, nb int) float32

// dotQ5_KQ8_KFast is the fast Dot of Q5_K: the assembly kernel where the CPU
// has it and useAsm is set, dotQ5_KQ8_KRef otherwise. Its integer sums are
// exact; only the float32 summation order differs from the reference.
func dotQ5_KQ8_KFast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ5_KQ8_KFast", quant.Q5_K, quant.Q8_K, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ5_KQ8_KRef(w, x, n)
	}
	return q5kDotAVX2(&w[0], &x[0], nb)
}

// q3kDotAVX2 returns the dot product of nb ≥ 1 block_q3_K (w) and nb
// block_q8_K (x), ggml's AVX2 scheme for ggml_vec_dot_q3_K_q8_K. It ends
// with VZEROUPPER. Implemented in qother_amd64.s.
//
//go:noescape
func q3kDotAVX2(w, x *byte, nb int) float32

// q2kDotAVX2 returns the dot product of nb ≥ 1 block_q2_K (w) and nb
// block_q8_K (x), ggml's AVX2 scheme for ggml_vec_dot_q2_K_q8_K. It ends
// with VZEROUPPER. Implemented in qother_amd64.s.
//
//go:noescape
func q2kDotAVX2(w, x *byte, nb int) float32

// dotQ3_KQ8_KFast is the fast Dot of Q3_K (see dotQ5_KQ8_KFast).
func dotQ3_KQ8_KFast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ3_KQ8_KFast", quant.Q3_K, quant.Q8_K, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ3_KQ8_KRef(w, x, n)
	}
	return q3kDotAVX2(&w[0], &x[0], nb)
}

// dotQ2_KQ8_KFast is the fast Dot of Q2_K (see dotQ5_KQ8_KFast).
func dotQ2_KQ8_KFast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ2_KQ8_KFast", quant.Q2_K, quant.Q8_K, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ2_KQ8_KRef(w, x, n)
	}
	return q2kDotAVX2(&w[0], &x[0], nb)
}

// q50DotAVX2, q41DotAVX2 and q51DotAVX2 return the dot product of nb ≥ 1
// blocks of block_q5_0 and block_q8_0, block_q4_1 and block_q8_1,
// block_q5_1 and block_q8_1 (ggml's AVX2 schemes). They end with
// VZEROUPPER. Implemented in qother_amd64.s.
//
//go:noescape
func q50DotAVX2(w, x *byte, nb int) float32

//go:noescape
func q41DotAVX2(w, x *byte, nb int) float32

//go:noescape
func q51DotAVX2(w, x *byte, nb int) float32

// dotQ5_0Q8_0Fast is the fast Dot of Q5_0 (see dotQ5_KQ8_KFast).
func dotQ5_0Q8_0Fast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ5_0Q8_0Fast", quant.Q5_0, quant.Q8_0, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ5_0Q8_0Ref(w, x, n)
	}
	return q50DotAVX2(&w[0], &x[0], nb)
}

// dotQ4_1Q8_1Fast is the fast Dot of Q4_1 (see dotQ5_KQ8_KFast).
func dotQ4_1Q8_1Fast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ4_1Q8_1Fast", quant.Q4_1, quant.Q8_1, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ4_1Q8_1Ref(w, x, n)
	}
	return q41DotAVX2(&w[0], &x[0], nb)
}

// dotQ5_1Q8_1Fast is the fast Dot of Q5_1 (see dotQ5_KQ8_KFast).
func dotQ5_1Q8_1Fast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ5_1Q8_1Fast", quant.Q5_1, quant.Q8_1, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ5_1Q8_1Ref(w, x, n)
	}
	return q51DotAVX2(&w[0], &x[0], nb)
}

// q5kDot4AVX2 sets out[t] = q5kDotAVX2(w, x + t·xstride, nb) for t < 4, bit
// for bit, decoding each weight block once for the four tokens.
// Implemented in qother_amd64.s.
//
//go:noescape
func q5kDot4AVX2(w, x *byte, xstride, nb int, out *float32)

// otherqRowTileBytes is about how many weight bytes rowsQ5_K multiplies by
// every token before moving on (so they stay in L2).
const otherqRowTileBytes = 96 << 10

// q3kDot4AVX2 and q2kDot4AVX2 are q5kDot4AVX2 for Q3_K and Q2_K: four
// tokens per call, each bit-identical to q3kDotAVX2 (q2kDotAVX2).
// Implemented in qother_amd64.s.
//
//go:noescape
func q3kDot4AVX2(w, x *byte, xstride, nb int, out *float32)

//go:noescape
func q2kDot4AVX2(w, x *byte, xstride, nb int, out *float32)

// q50Dot4AVX2, q41Dot4AVX2 and q51Dot4AVX2 are the 4-token kernels of Q5_0,
// Q4_1 and Q5_1: per token bit-identical to q50DotAVX2, q41DotAVX2,
// q51DotAVX2. Implemented in qother_amd64.s.
//
//go:noescape
func q50Dot4AVX2(w, x *byte, xstride, nb int, out *float32)

//go:noescape
func q41Dot4AVX2(w, x *byte, xstride, nb int, out *float32)

//go:noescape
func q51Dot4AVX2(w, x *byte, xstride, nb int, out *float32)

// otherqRows returns the Rows kernel of weight type t with activations of
// type act from its 4-token assembly kernel dot4 and its Dot: for weight rows
// [lo, hi) and all nTok tokens, out[tok·rows+r] = dot(row r, token tok),
// four tokens at a time with dot4 (bit-identical to dot per token), over
// tiles of rows small enough to stay in cache.
//
//	w: [rows][cols/bs blocks of t]   xq: [nTok][cols/bs blocks of act]   → out: [nTok, rows]
func otherqRows(t, act quant.Type, dot4 func(w, x *byte, xstride, nb int, out *float32), dot func(w, x []byte, n int) float32) func(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	return func(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
		wb, xb, nb := rowBytes(t, cols), rowBytes(act, cols), cols/t.BlockSize()
		if wb < 0 || xb < 0 || len(w) < rows*wb || len(xq) < nTok*xb || len(out) < nTok*rows || lo < 0 || hi > rows {
			panic(fmt.Sprintf("kernels: Rows %v: w %d bytes, xq %d bytes, out %d for %d tokens, %d rows [%d, %d), %d columns",
				t, len(w), len(xq), len(out), nTok, rows, lo, hi, cols))
		}
		tile := max(1, otherqRowTileBytes/max(wb, 1))
		var o [4]float32
		for r0 := lo; r0 < hi; r0 += tile {
			r1 := min(r0+tile, hi)
			tok := 0
			if useAsm && haveOtherQAsm && nb > 0 {
				for ; tok+4 <= nTok; tok += 4 {
					for r := r0; r < r1; r++ {
						dot4(&w[r*wb], &xq[tok*xb], xb, nb, &o[0])
						out[tok*rows+r], out[(tok+1)*rows+r], out[(tok+2)*rows+r], out[(tok+3)*rows+r] = o[0], o[1], o[2], o[3]
					}
				}
			}
			for ; tok < nTok; tok++ {
				xt := xq[tok*xb : (tok+1)*xb]
				for r := r0; r < r1; r++ {
					out[tok*rows+r] = dot(w[r*wb:(r+1)*wb], xt, cols)
				}
			}
		}
	}
}

func init() {
	if haveOtherQAsm {
		RegisterQKernel(quant.Q4_1, QKernel{Dot: dotQ4_1Q8_1Fast, Rows: otherqRows(quant.Q4_1, quant.Q8_1, q41Dot4AVX2, dotQ4_1Q8_1Fast)})
		RegisterQKernel(quant.Q5_0, QKernel{Dot: dotQ5_0Q8_0Fast, Rows: otherqRows(quant.Q5_0, quant.Q8_0, q50Dot4AVX2, dotQ5_0Q8_0Fast)})
		RegisterQKernel(quant.Q5_1, QKernel{Dot: dotQ5_1Q8_1Fast, Rows: otherqRows(quant.Q5_1, quant.Q8_1, q51Dot4AVX2, dotQ5_1Q8_1Fast)})
		RegisterQKernel(quant.Q2_K, QKernel{Dot: dotQ2_KQ8_KFast, Rows: otherqRows(quant.Q2_K, quant.Q8_K, q2kDot4AVX2, dotQ2_KQ8_KFast)})
		RegisterQKernel(quant.Q3_K, QKernel{Dot: dotQ3_KQ8_KFast, Rows: otherqRows(quant.Q3_K, quant.Q8_K, q3kDot4AVX2, dotQ3_KQ8_KFast)})
		RegisterQKernel(quant.Q5_K, QKernel{Dot: dotQ5_KQ8_KFast, Rows: otherqRows(quant.Q5_K, quant.Q8_K, q5kDot4AVX2, dotQ5_KQ8_KFast)})
	}
}
