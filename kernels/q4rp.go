package kernels

// Q4_0 matrices in llama.cpp's repacked x86 order.
//
// Since late 2024 ggml's CPU backend repacks, at load, every Q4_0 weight
// matrix whose row count is a multiple of 8 into block_q4_0x8 (8 rows'
// blocks interleaved; ggml-cpu/repack.cpp, q4_0_8x8_q8_0 on AVX2 CPUs) and
// multiplies it with ggml_gemv_q4_0_8x8_q8_0 (one token) and
// ggml_gemm_q4_0_8x8_q8_0 (4 tokens at a time; ggml-cpu/arch/x86/repack.cpp,
// gemv_q4_b32_8x8_q8_0_lut_avx / gemm_q4_b32_8x8_q8_0_lut_avx). Both compute,
// for row r and token t,
//
//	acc = 0
//	for each block b, in order:
//	    S   = Σ_j (q_j - 8)·x_j              (exact, int32)
//	    acc = fma(float32(S), dw_b·dx_b, acc) (dw_b·dx_b one float32 product)
//
// with no horizontal float sum, which is not ggml's vec_dot order (8 lanes
// per block, hsum at the end: DotQ4_0Q8_0). So a llama.cpp run on x86 gives
// its Q4_0 numbers in this order, and QKernel.Rows of Q4_0 follows it for
// matrices of rows%8 == 0 for every token count (one token and any batch
// give the same bits); matrices of other row counts keep vec_dot's order,
// as llama.cpp keeps vec_dot for them, and so does QKernel.Dot (one row, no
// matrix context).

// repackedRows reports whether ggml's CPU backend repacks a Q4_0 or Q4_K
// matrix of rows rows on an AVX2 CPU (ne[1] % 8 == 0 in
// ggml_repack_get_optimal_repack_type, for q4_0_8x8_q8_0 and q4_K_8x8_q8_K
// alike), so that QKernel.Rows multiplies it in the repacked order
// (dotQ4_0RPRef, dotQ4KRPRef) rather than vec_dot's.
func repackedRows(rows int) bool { return rows%8 == 0 }

// dotQ4_0RPRef returns the dot product of the block_q4_0 row w and the
// block_q8_0 row x in the repacked order (see above); lengths are checked
// by the caller.
func dotQ4_0RPRef(w, x []byte) float32 {
	nb := len(w) / Q4_0BlockBytes
	var acc float32
	for i := 0; i < nb; i++ {
		bw, bx := w[i*Q4_0BlockBytes:(i+1)*Q4_0BlockBytes], x[i*Q8_0BlockBytes:(i+1)*Q8_0BlockBytes]
		var s int32
		for j := 0; j < QK/2; j++ {
			s += (int32(bw[2+j]&0x0F) - 8) * int32(int8(bx[2+j]))
			s += (int32(bw[2+j]>>4) - 8) * int32(int8(bx[2+j+QK/2]))
		}
		acc = fma32(float32(s), blockScale(bw)*blockScale(bx), acc)
	}
	return acc
}

// rowsQ4_0RPRef is QKernel.Rows of Q4_0 in plain Go: the repacked order
// for matrices of rows%8 == 0, else dot (vec_dot's order) per element.
// Arguments are checked by the caller.
func rowsQ4_0RPRef(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int, dot func(w, x []byte) float32) {
	nb := cols / QK
	wb, xb := nb*Q4_0BlockBytes, nb*Q8_0BlockBytes
	if repackedRows(rows) {
		dot = dotQ4_0RPRef
	}
	for r := lo; r < hi; r++ {
		for t := 0; t < nTok; t++ {
			out[t*rows+r] = dot(w[r*wb:(r+1)*wb], xq[t*xb:(t+1)*xb])
		}
	}
}
