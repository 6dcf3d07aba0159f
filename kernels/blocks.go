package kernels

import (
	"fmt"

	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// Block formats of ggml (ggml-common.h) that the quantized kernels read.
// Each block holds 32 consecutive elements of a row:
//
//	block_q8_0 (34 bytes): d fp16 (bytes 0-1), qs [32]int8 (bytes 2-33); x[j] = qs[j]·d
//	block_q4_0 (18 bytes): d fp16 (bytes 0-1), qs [16]uint8 (bytes 2-17);
//	                       x[j] = (qs[j]&15 - 8)·d, x[j+16] = (qs[j]>>4 - 8)·d
const (
	// QK is the number of elements in one Q8_0 or Q4_0 block (QK8_0, QK4_0).
	QK = 32
	// Q8_0BlockBytes is the size of one block_q8_0.
	Q8_0BlockBytes = 34
	// Q4_0BlockBytes is the size of one block_q4_0.
	Q4_0BlockBytes = 18
)

func blockScale(b []byte) float32 { return tensor.F16ToF32(uint16(b[0]) | uint16(b[1])<<8) }

// QuantizeRowQ8_0 encodes x (len(x) a multiple of 32) as len(x)/32
// block_q8_0 into dst (len(dst) = len(x)/32·34), byte-identical to quant's
// reference quantizer (ggml's quantize_row_q8_0_ref): per block d =
// max|x[j]|/127 (NaNs ignored), id = 1/d (0 when d is 0), qs[j] =
// roundf(x[j]·id) (halves away from zero; NaN and ±Inf products give 0),
// d stored as fp16. This is how ggml quantizes activations for a Q8_0 or
// Q4_0 matrix product (llama.cpp's x86 build uses an AVX2 variant instead,
// id = 127/max and ties to even, which differs from the reference in rare
// last-bit cases). The assembly quantizer runs where the CPU has AVX2.
//
//	x: [n]   → dst: [n/32 blocks]
func QuantizeRowQ8_0(dst []byte, x []float32) {
	if len(x)%QK != 0 || len(dst) != len(x)/QK*Q8_0BlockBytes {
		panic(fmt.Sprintf("kernels: QuantizeRowQ8_0 of %d values into %d bytes", len(x), len(dst)))
	}
	if quantizeRowQ8_0Fast(dst, x) {
		return
	}
	quantizeRowQ8_0Ref(dst, x)
}

// quantizeRowQ8_0Ref is QuantizeRowQ8_0 with quant's reference quantizer.
func quantizeRowQ8_0Ref(dst []byte, x []float32) {
	if _, err := quant.Quantize(quant.Q8_0, x, dst); err != nil {
		panic("kernels: QuantizeRowQ8_0: " + err.Error())
	}
}

// DequantizeRowQ8_0 decodes len(dst)/32 block_q8_0 from b into dst:
// dst[j] = qs[j]·d, as ggml's dequantize_row_q8_0 (quant.Dequantize).
//
//	b: [n/32 blocks]   → dst: [n]
func DequantizeRowQ8_0(dst []float32, b []byte) {
	if len(dst)%QK != 0 || len(b) != len(dst)/QK*Q8_0BlockBytes {
		panic(fmt.Sprintf("kernels: DequantizeRowQ8_0 of %d bytes into %d values", len(b), len(dst)))
	}
	if err := quant.Dequantize(quant.Q8_0, b, dst); err != nil {
		panic("kernels: DequantizeRowQ8_0: " + err.Error())
	}
}

// DequantizeRowQ4_0 decodes len(dst)/32 block_q4_0 from b into dst:
// dst[j] = (q[j]-8)·d, as ggml's dequantize_row_q4_0 (quant.Dequantize).
//
//	b: [n/32 blocks]   → dst: [n]
func DequantizeRowQ4_0(dst []float32, b []byte) {
	if len(dst)%QK != 0 || len(b) != len(dst)/QK*Q4_0BlockBytes {
		panic(fmt.Sprintf("kernels: DequantizeRowQ4_0 of %d bytes into %d values", len(b), len(dst)))
	}
	if err := quant.Dequantize(quant.Q4_0, b, dst); err != nil {
		panic("kernels: DequantizeRowQ4_0: " + err.Error())
	}
}

// DotQ8_0 returns the dot product of two rows of block_q8_0 (w and x hold
// the same number of blocks): the one MatMulQ8_0 (and MatMulQ for Q8_0)
// computes for each output element. Where the CPU has AVX2 and FMA it is
// the assembly kernel in ggml's AVX2 order (ggml_vec_dot_q8_0_q8_0 of
// ggml-cpu/arch/x86/quants.c: per block the exact integer sums of 4
// products in 8 lanes, one FMA by w.d·x.d into an 8-lane float32
// accumulator, then hsum_float_8), so the results are llama.cpp's x86
// ones; otherwise it is ggml's generic reference (dotQ8_0Ref). The two
// agree to float32 rounding. x's quants must lie in [-127, 127], as
// QuantizeRowQ8_0 makes them (w's may be -128).
func DotQ8_0(w, x []byte) float32 {
	if len(w) != len(x) || len(w)%Q8_0BlockBytes != 0 {
		panic(fmt.Sprintf("kernels: DotQ8_0 of %d and %d bytes", len(w), len(x)))
	}
	if s, ok := dotQ8_0Fast(w, x); ok {
		return s
	}
	return dotQ8_0Ref(w, x)
}

// dotQ8_0Ref is ggml's generic ggml_vec_dot_q8_0_q8_0: per block the
// integer sum sumi = Σ w.qs[j]·x.qs[j], then sumf += float32(sumi)·(w.d·x.d)
// in float32, block by block. Lengths are checked by the caller.
func dotQ8_0Ref(w, x []byte) float32 {
	var sumf float32
	for i := 0; i < len(w); i += Q8_0BlockBytes {
		bw, bx := w[i:i+Q8_0BlockBytes], x[i:i+Q8_0BlockBytes]
		var sumi int32
		for j := 2; j < Q8_0BlockBytes; j++ {
			sumi += int32(int8(bw[j])) * int32(int8(bx[j]))
		}
		sumf += float32(float32(sumi) * (blockScale(bw) * blockScale(bx))) // rounded before the sum: no FMA
	}
	return sumf
}

// DotQ4_0Q8_0 returns the dot product of a row of block_q4_0 (w) and a row
// of block_q8_0 (x) with the same number of blocks: the one MatMulQ4_0
// computes for each output element. Where the CPU has AVX2 and FMA it is
// the assembly kernel in ggml's AVX2 order (ggml_vec_dot_q4_0_q8_0 of
// ggml-cpu/arch/x86/quants.c, the same 8-lane FMA scheme as DotQ8_0);
// otherwise ggml's generic reference (dotQ4_0Ref). They agree to float32
// rounding.
func DotQ4_0Q8_0(w, x []byte) float32 {
	nb := len(w) / Q4_0BlockBytes
	if len(w)%Q4_0BlockBytes != 0 || len(x) != nb*Q8_0BlockBytes {
		panic(fmt.Sprintf("kernels: DotQ4_0Q8_0 of %d and %d bytes", len(w), len(x)))
	}
	if s, ok := dotQ4_0Fast(w, x); ok {
		return s
	}
	return dotQ4_0Ref(w, x)
}

// dotQ4_0Ref is ggml's generic ggml_vec_dot_q4_0_q8_0: per block sumi =
// Σ_{j<16} (lo_j-8)·x.qs[j] + Σ_{j<16} (hi_j-8)·x.qs[j+16], then sumf +=
// float32(sumi)·w.d·x.d (multiplied left to right) in float32. Lengths are
// checked by the caller.
func dotQ4_0Ref(w, x []byte) float32 {
	nb := len(w) / Q4_0BlockBytes
	var sumf float32
	for i := 0; i < nb; i++ {
		bw, bx := w[i*Q4_0BlockBytes:(i+1)*Q4_0BlockBytes], x[i*Q8_0BlockBytes:(i+1)*Q8_0BlockBytes]
		var sumi0, sumi1 int32
		for j := 0; j < QK/2; j++ {
			v0 := int32(bw[2+j]&0x0F) - 8
			v1 := int32(bw[2+j]>>4) - 8
			sumi0 += v0 * int32(int8(bx[2+j]))
			sumi1 += v1 * int32(int8(bx[2+j+QK/2]))
		}
		sumf += float32(float32(sumi0+sumi1) * blockScale(bw) * blockScale(bx)) // no FMA
	}
	return sumf
}

// MatVecQ8_0 computes out = W·x for a Q8_0 matrix as ggml does: x is first
// quantized to Q8_0 (QuantizeRowQ8_0), then out[r] = DotQ8_0(row r of W, x).
//
//	W: [rows, cols] as rows·cols/32 block_q8_0 (cols a multiple of 32)   x: [cols]   → out: [rows]
func MatVecQ8_0(out []float32, w []byte, x []float32) {
	MatMulQ8_0(out, w, x, 1, len(out), len(x))
}

// MatMulQ8_0 computes out = X·Wᵀ for a Q8_0 matrix W and a batch of nTok
// row vectors, each quantized to Q8_0 once (see MatVecQ8_0); out[t, r] =
// DotQ8_0(row r of W, token t), whatever nTok and the thread count. It is
// MatMulQ for quant.Q8_0.
//
//	W: [rows, cols] as block_q8_0   X: [nTok, cols]   → out: [nTok, rows]
func MatMulQ8_0(out []float32, w []byte, x []float32, nTok, rows, cols int) {
	MatMulQ(out, quant.Q8_0, w, x, nTok, rows, cols)
}

// MatMulQ4_0 computes out = X·Wᵀ for a Q4_0 matrix W and a batch of nTok
// row vectors, each quantized to Q8_0 once, with out[t, r] =
// DotQ4_0Q8_0(row r of W, token t), as ggml's Q4_0 matrix product does. It
// is MatMulQ for quant.Q4_0.
//
//	W: [rows, cols] as block_q4_0   X: [nTok, cols]   → out: [nTok, rows]
func MatMulQ4_0(out []float32, w []byte, x []float32, nTok, rows, cols int) {
	MatMulQ(out, quant.Q4_0, w, x, nTok, rows, cols)
}
