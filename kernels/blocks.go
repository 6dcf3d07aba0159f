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
// block_q8_0 into dst (len(dst) = len(x)/32·34), with quant's reference
// quantizer (ggml's quantize_row_q8_0_ref): per block d = max|x[j]|/127,
// qs[j] = roundf(x[j]/d), d stored as fp16. This is how ggml quantizes
// activations for a Q8_0 or Q4_0 matrix product.
//
//	x: [n]   → dst: [n/32 blocks]
func QuantizeRowQ8_0(dst []byte, x []float32) {
	if len(x)%QK != 0 || len(dst) != len(x)/QK*Q8_0BlockBytes {
		panic(fmt.Sprintf("kernels: QuantizeRowQ8_0 of %d values into %d bytes", len(x), len(dst)))
	}
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
// the same number of blocks) as ggml's ggml_vec_dot_q8_0_q8_0 reference
// computes it: per block the integer sum sumi = Σ w.qs[j]·x.qs[j], then
// sumf += float32(sumi)·(w.d·x.d) in float32, block by block.
func DotQ8_0(w, x []byte) float32 {
	if len(w) != len(x) || len(w)%Q8_0BlockBytes != 0 {
		panic(fmt.Sprintf("kernels: DotQ8_0 of %d and %d bytes", len(w), len(x)))
	}
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
// of block_q8_0 (x) with the same number of blocks, as ggml's
// ggml_vec_dot_q4_0_q8_0 reference: per block sumi = Σ_{j<16} (lo_j-8)·x.qs[j]
// + Σ_{j<16} (hi_j-8)·x.qs[j+16], then sumf += float32(sumi)·w.d·x.d
// (multiplied left to right) in float32.
func DotQ4_0Q8_0(w, x []byte) float32 {
	nb := len(w) / Q4_0BlockBytes
	if len(w)%Q4_0BlockBytes != 0 || len(x) != nb*Q8_0BlockBytes {
		panic(fmt.Sprintf("kernels: DotQ4_0Q8_0 of %d and %d bytes", len(w), len(x)))
	}
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
// row vectors, each quantized to Q8_0 once (see MatVecQ8_0).
//
//	W: [rows, cols] as block_q8_0   X: [nTok, cols]   → out: [nTok, rows]
func MatMulQ8_0(out []float32, w []byte, x []float32, nTok, rows, cols int) {
	matMulQ(out, w, x, nTok, rows, cols, Q8_0BlockBytes, DotQ8_0, "MatMulQ8_0")
}

// MatMulQ4_0 computes out = X·Wᵀ for a Q4_0 matrix W and a batch of nTok
// row vectors, each quantized to Q8_0 once, with DotQ4_0Q8_0 per row, as
// ggml's Q4_0 matrix product does.
//
//	W: [rows, cols] as block_q4_0   X: [nTok, cols]   → out: [nTok, rows]
func MatMulQ4_0(out []float32, w []byte, x []float32, nTok, rows, cols int) {
	matMulQ(out, w, x, nTok, rows, cols, Q4_0BlockBytes, DotQ4_0Q8_0, "MatMulQ4_0")
}

func matMulQ(out []float32, w []byte, x []float32, nTok, rows, cols, blockBytes int, dot func(w, x []byte) float32, name string) {
	if nTok < 0 || rows < 0 || cols < 0 || cols%QK != 0 || len(w) != rows*(cols/QK)*blockBytes || len(x) != nTok*cols || len(out) != nTok*rows {
		panic(fmt.Sprintf("kernels: %s W %d bytes X %d out %d elements, want W [%d, %d] X [%d, %d] out [%d, %d] (cols a multiple of %d)",
			name, len(w), len(x), len(out), rows, cols, nTok, cols, nTok, rows, QK))
	}
	rowBytes := cols / QK * blockBytes
	xqBytes := cols / QK * Q8_0BlockBytes
	xq := make([]byte, nTok*xqBytes)
	for t := 0; t < nTok; t++ {
		QuantizeRowQ8_0(xq[t*xqBytes:(t+1)*xqBytes], x[t*cols:(t+1)*cols])
	}
	// Rows are split across the worker pool (SetThreads); each element is
	// one reference dot product, so the result does not depend on the split.
	parallelRows(rows, nTok*cols, func(lo, hi int) {
		for r0 := lo; r0 < hi; r0 += matMulTile {
			r1 := min(r0+matMulTile, hi)
			for t := 0; t < nTok; t++ {
				xt, o := xq[t*xqBytes:(t+1)*xqBytes], out[t*rows:(t+1)*rows]
				for r := r0; r < r1; r++ {
					o[r] = dot(w[r*rowBytes:(r+1)*rowBytes], xt)
				}
			}
		}
	})
}
