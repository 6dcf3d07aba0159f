package kernels

import (
	"math"
)

// The Q4_K order of llama.cpp's x86 CPU backend for repacked matrices.
//
// At load, ggml's CPU backend (ggml-cpu/repack.cpp, "CPU_REPACK") repacks
// every Q4_K weight matrix whose row count is a multiple of 8 into
// block_q4_Kx8 (eight rows interleaved) when the CPU has AVX2, and
// multiplies it with ggml_gemm_q4_K_8x8_q8_K for the tokens of a batch in
// groups of four and ggml_gemv_q4_K_8x8_q8_K for the one to three tokens
// left over (forward_mul_mat_one_chunk; ggml-cpu/arch/x86/repack.cpp).
// Those kernels sum in another order than ggml_vec_dot_q4_K_q8_K. The gemv
// (every token of a one-token decode) forms, per output (weight row r,
// token t) and per super-block b in order, in exact integers,
//
//	S_b = Σ_j scale_j · Σ_{i in sub-block j} q_i·x_i      (j = 0..7, 32 values each)
//	M_b = Σ_j min_j · (bsums[2j] + bsums[2j+1])
//
// and accumulates in float32 with one rounding per fused multiply-add
// (_mm256_fmadd_ps):
//
//	acc    = fma(float32(S_b), fp16(d_b)·y_b.d,    acc)
//	accmin = fma(float32(M_b), fp16(dmin_b)·y_b.d, accmin)
//
// (the products rounded to float32, _mm256_mul_ps), and returns
// acc - accmin. dotQ4KRPRef is that order, and it is the order of every
// token count here, so that a token's result never depends on its batch.
//
// llama.cpp itself is not batch-invariant there: its gemm (AVX2 and
// AVX-512 branches alike) does the two FMAs once per 64-value pair of
// sub-blocks (S and M of sub-blocks 2k and 2k+1, k = 0..3: four FMAs each
// per super-block) instead of once per super-block, so the tokens of a
// prompt or of a batched decode that fall in its groups of four round
// differently from a lone token (by float rounding only).

// fma32 returns a·b+c rounded once to float32, as VFMADD231PS does per
// lane. a·b is exact in float64; the float64 sum s may be a float32 tie that
// the exact sum is not, so the sum's rounding error (TwoSum) breaks such
// ties.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return float32(s)
	}
	bb := s - p
	err := (p - (s - bb)) + (float64(c) - bb)
	f := float32(s)
	if err == 0 || float64(f) == s || math.IsInf(float64(f), 0) {
		return f
	}
	var n float32
	if float64(f) > s {
		n = math.Nextafter32(f, float32(math.Inf(-1)))
	} else {
		n = math.Nextafter32(f, float32(math.Inf(1)))
	}
	if (float64(f)+float64(n))/2 == s && (float64(n)-s)*err > 0 {
		return n
	}
	return f
}

// dotQ4KRPRef is the dot product of one Q4_K weight row and one Q8_K
// activation row in the order of llama.cpp's repacked x86 kernels (see the
// top of this file): the reference of every kernel for Q4_K matrices with
// repackedRows rows. bsums must be the sums of the activation quants (as
// every Q8_K quantizer makes them).
//
//	w: [n/256]block_q4_K   x: [n/256]block_q8_K
func dotQ4KRPRef(w, x []byte, n int) float32 {
	nb := n / qkK
	var acc, accMin float32
	for b := 0; b < nb; b++ {
		bw := w[b*q4KBlockBytes : (b+1)*q4KBlockBytes]
		bx := x[b*q8KBlockBytes : (b+1)*q8KBlockBytes]
		scales, mins := unpackScalesQ4K(bw[4:16])
		q4, q8 := bw[16:144], bx[4:260]
		var s, m int32
		for j := 0; j < 8; j++ {
			var sub int32
			for l := 0; l < 32; l++ {
				q := q4[32*(j/2)+l]
				if j%2 == 1 {
					q >>= 4
				}
				sub += int32(q&0xF) * int32(int8(q8[32*j+l]))
			}
			s += int32(scales[j]) * sub
			m += int32(mins[j]) * (q8KBsum(bx, 2*j) + q8KBsum(bx, 2*j+1))
		}
		dx := q8KScale(bx)
		acc = fma32(float32(s), f16At(bw[0:])*dx, acc)
		accMin = fma32(float32(m), f16At(bw[2:])*dx, accMin)
	}
	return acc - accMin
}

// rowsQ4KRef is QKernel.Rows for Q4_K in plain Go: dotQ4KRPRef for
// matrices with repackedRows rows, dot (ggml_vec_dot_q4_K_q8_K's order: the
// reference or the assembly) for the others.
func rowsQ4KRef(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int,
	dot func(w, x []byte, n int) float32) {
	nb := cols / qkK
	wb, xb := nb*q4KBlockBytes, nb*q8KBlockBytes
	if repackedRows(rows) {
		dot = dotQ4KRPRef
	}
	for t := 0; t < nTok; t++ {
		for r := lo; r < hi; r++ {
			out[t*rows+r] = dot(w[r*wb:(r+1)*wb], xq[t*xb:(t+1)*xb], cols)
		}
	}
}
