package kernels

import (
	"fmt"
	"math"
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

// f16ToF32 returns the float32 value of the IEEE 754 binary16 bits h
// (exact for every half value; NaN stays NaN).
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		v := float32(mant) * (1.0 / (1 << 24)) // subnormal or zero: mant·2^-24
		return math.Float32frombits(sign | math.Float32bits(v))
	default:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	}
}

// f32ToF16 returns the binary16 bits nearest to f (ties to even), with
// overflow to ±Inf and NaN kept a quiet NaN, as ggml_compute_fp32_to_fp16.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		m := mant | 0x800000
		shift := uint32(14 - e)
		half := m >> shift
		rem := m & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || (rem == mid && half&1 == 1) {
			half++
		}
		return sign | uint16(half)
	}
	half := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && half&1 == 1) {
		half++
	}
	return sign | uint16(half)
}

func blockScale(b []byte) float32 { return f16ToF32(uint16(b[0]) | uint16(b[1])<<8) }

// roundInt8 is ggml's reference rounding of a scaled value, (int8_t)roundf(v):
// to nearest, halfway cases away from zero. |v| <= 127 for every finite
// input; NaN gives 0 (ggml's cast gives INT_MIN, whose low byte is 0).
func roundInt8(v float32) int8 {
	if v != v {
		return 0
	}
	return int8(int32(math.Round(float64(v))))
}

// QuantizeRowQ8_0 encodes x (len(x) a multiple of 32) as len(x)/32
// block_q8_0 into dst (len(dst) = len(x)/32·34), as ggml's
// quantize_row_q8_0_ref: per block amax = max|x[j]|, d = amax/127,
// id = 1/d (0 when d is 0), qs[j] = roundf(x[j]·id) and d stored as fp16.
// This is how ggml quantizes activations for a Q8_0 or Q4_0 matrix product.
//
//	x: [n]   → dst: [n/32 blocks]
func QuantizeRowQ8_0(dst []byte, x []float32) {
	if len(x)%QK != 0 || len(dst) != len(x)/QK*Q8_0BlockBytes {
		panic(fmt.Sprintf("kernels: QuantizeRowQ8_0 of %d values into %d bytes", len(x), len(dst)))
	}
	for i := 0; i < len(x)/QK; i++ {
		xs, b := x[i*QK:(i+1)*QK], dst[i*Q8_0BlockBytes:(i+1)*Q8_0BlockBytes]
		var amax float32
		for _, v := range xs {
			if a := float32(math.Abs(float64(v))); amax < a {
				amax = a
			}
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		h := f32ToF16(d)
		b[0], b[1] = byte(h), byte(h>>8)
		for j, v := range xs {
			b[2+j] = byte(roundInt8(v * id))
		}
	}
}

// DequantizeRowQ8_0 decodes len(dst)/32 block_q8_0 from b into dst:
// dst[j] = qs[j]·d, as ggml's dequantize_row_q8_0.
//
//	b: [n/32 blocks]   → dst: [n]
func DequantizeRowQ8_0(dst []float32, b []byte) {
	if len(dst)%QK != 0 || len(b) != len(dst)/QK*Q8_0BlockBytes {
		panic(fmt.Sprintf("kernels: DequantizeRowQ8_0 of %d bytes into %d values", len(b), len(dst)))
	}
	for i := 0; i < len(dst)/QK; i++ {
		blk, y := b[i*Q8_0BlockBytes:], dst[i*QK:(i+1)*QK]
		d := blockScale(blk)
		for j := range y {
			y[j] = float32(int8(blk[2+j])) * d
		}
	}
}

// DequantizeRowQ4_0 decodes len(dst)/32 block_q4_0 from b into dst:
// dst[j] = (q[j]-8)·d, as ggml's dequantize_row_q4_0.
//
//	b: [n/32 blocks]   → dst: [n]
func DequantizeRowQ4_0(dst []float32, b []byte) {
	if len(dst)%QK != 0 || len(b) != len(dst)/QK*Q4_0BlockBytes {
		panic(fmt.Sprintf("kernels: DequantizeRowQ4_0 of %d bytes into %d values", len(b), len(dst)))
	}
	for i := 0; i < len(dst)/QK; i++ {
		blk, y := b[i*Q4_0BlockBytes:], dst[i*QK:(i+1)*QK]
		d := blockScale(blk)
		for j := 0; j < QK/2; j++ {
			y[j] = float32(int32(blk[2+j]&0x0F)-8) * d
			y[j+QK/2] = float32(int32(blk[2+j]>>4)-8) * d
		}
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
	xq := make([]byte, cols/QK*Q8_0BlockBytes)
	for t := 0; t < nTok; t++ {
		QuantizeRowQ8_0(xq, x[t*cols:(t+1)*cols])
		o := out[t*rows : (t+1)*rows]
		for r := range o {
			o[r] = dot(w[r*rowBytes:(r+1)*rowBytes], xq)
		}
	}
}
