package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Quantize encodes src as type t into dst, byte-identical to ggml's
// quantize_row_*_ref (see the per-type functions). len(src) must be a
// multiple of t's block size and dst must hold at least RowSize(len(src))
// bytes; it returns the number of bytes written. Types without a reference
// quantizer here (see CanQuantize) give an error. It never panics.
//
// A fast path registered with RegisterFastQuantizer replaces the reference
// for its type (same bytes).
func Quantize(t Type, src []float32, dst []byte) (int, error) {
	return quantize(t, src, dst, true)
}

// quantize is Quantize, with the registered fast path when fast is set.
func quantize(t Type, src []float32, dst []byte, fast bool) (int, error) {
	size, err := t.RowSize(int64(len(src)))
	if err != nil {
		return 0, err
	}
	if int64(len(dst)) < size {
		return 0, fmt.Errorf("quant: %v: %d elements need %d bytes, have %d", t, len(src), size, len(dst))
	}
	f := quantizers[t]
	if f == nil {
		return 0, fmt.Errorf("quant: no reference quantizer for %v", t)
	}
	if fast && int(t) < len(fastQuantizers) {
		if fq := fastQuantizers[t].Load(); fq != nil {
			(*fq)(src, dst[:size])
			return int(size), nil
		}
	}
	bs, ts := t.BlockSize(), t.TypeSize()
	for i := 0; i < len(src); i += bs {
		b := dst[i/bs*ts:][:ts]
		clear(b)
		f(src[i:i+bs], b)
	}
	return int(size), nil
}

var quantizers map[Type]func([]float32, []byte)

func init() {
	quantizers = map[Type]func([]float32, []byte){
		F32: quantF32, F16: quantF16, BF16: quantBF16,
		Q4_0: quantQ4_0, Q4_1: quantQ4_1, Q5_0: quantQ5_0, Q5_1: quantQ5_1,
		Q8_0: quantQ8_0, Q8_1: quantQ8_1,
		Q2_K: quantQ2_K, Q3_K: quantQ3_K, Q4_K: quantQ4_K, Q5_K: quantQ5_K, Q6_K: quantQ6_K, Q8_K: quantQ8_K,
	}
}

// CanQuantize reports whether Quantize supports t.
func CanQuantize(t Type) bool { return quantizers[t] != nil }

// cvtt converts like x86's cvttss2si, which C compilers use for float to
// integer casts: truncation toward zero, and 0x80000000 for NaN and values
// outside int32. C leaves those cases undefined; this fixes them.
func cvtt(f float32) int32 {
	if f != f || f >= 0x1p31 || f < -0x1p31 {
		return math.MinInt32
	}
	return int32(f)
}

// roundf is C's roundf: to nearest, halfway cases away from zero.
func roundf(f float32) float32 { return float32(math.Round(float64(f))) }

// nearestInt is ggml's nearest_int: round to nearest, ties to even, by adding
// 1.5*2^23 and reading the mantissa; exact for |f| <= 4194303 (larger values
// wrap as the bit trick does).
func nearestInt(f float32) int32 {
	v := math.Float32bits(f + 12582912)
	return int32(v&0x007fffff) - 0x00400000
}

func fabsf(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

func putHalf(b []byte, f float32) { binary.LittleEndian.PutUint16(b, FP32ToFP16(f)) }

func quantF32(x []float32, b []byte) { binary.LittleEndian.PutUint32(b, math.Float32bits(x[0])) }
func quantF16(x []float32, b []byte) { putHalf(b, x[0]) }
func quantBF16(x []float32, b []byte) {
	binary.LittleEndian.PutUint16(b, FP32ToBF16(x[0]))
}

// absMax returns the first value of largest magnitude (0 if all are zero),
// as ggml's loops with a strict `amax < fabsf(v)` find it.
func absMax(x []float32) (amax, max float32) {
	for _, v := range x {
		if a := fabsf(v); amax < a {
			amax, max = a, v
		}
	}
	return amax, max
}

func minMax(x []float32) (min, max float32) {
	min, max = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < min {
			min = v
		}
		if v > max {
			max = v
		}
	}
	return min, max
}

func inv(d float32) float32 {
	if d != 0 {
		return 1 / d
	}
	return 0
}

// quantQ4_0 is quantize_row_q4_0_ref: max = the first value of largest |x|,
// d = max / -8, id = 1/d (0 if d is 0), q = min(15, (int8)(x*id + 8.5)),
// stored as in dequantQ4_0 with d as fp16.
func quantQ4_0(x []float32, b []byte) {
	_, max := absMax(x)
	d := max / -8
	id := inv(d)
	putHalf(b, d)
	for j := 0; j < 16; j++ {
		q0 := min(15, int8(cvtt(float32(x[j]*id)+8.5)))
		q1 := min(15, int8(cvtt(float32(x[j+16]*id)+8.5)))
		b[2+j] = uint8(q0) | uint8(q1)<<4
	}
}

// quantQ4_1 is quantize_row_q4_1_ref: d = (max-min)/15, id = 1/d (or 0),
// q = min(15, (int8)((x-min)*id + 0.5)); d and min stored as fp16.
func quantQ4_1(x []float32, b []byte) {
	mn, mx := minMax(x)
	d := (mx - mn) / 15
	id := inv(d)
	putHalf(b, d)
	putHalf(b[2:], mn)
	for j := 0; j < 16; j++ {
		q0 := min(15, int8(cvtt(float32((x[j]-mn)*id)+0.5)))
		q1 := min(15, int8(cvtt(float32((x[j+16]-mn)*id)+0.5)))
		b[4+j] = uint8(q0) | uint8(q1)<<4
	}
}

// quantQ5_0 is quantize_row_q5_0_ref: d = max / -16 (max the first value of
// largest |x|), q = min(31, (int8)(x*id + 16.5)); low nibbles in qs, fifth
// bits in qh as in dequantQ5_0.
func quantQ5_0(x []float32, b []byte) {
	_, max := absMax(x)
	d := max / -16
	id := inv(d)
	putHalf(b, d)
	var qh uint32
	for j := 0; j < 16; j++ {
		q0 := uint8(min(31, int8(cvtt(float32(x[j]*id)+16.5))))
		q1 := uint8(min(31, int8(cvtt(float32(x[j+16]*id)+16.5))))
		b[6+j] = q0&0x0F | (q1&0x0F)<<4
		qh |= uint32(q0&0x10) >> 4 << j
		qh |= uint32(q1&0x10) >> 4 << (j + 16)
	}
	binary.LittleEndian.PutUint32(b[2:], qh)
}

// quantQ5_1 is quantize_row_q5_1_ref: d = (max-min)/31,
// q = (uint8)((x-min)*id + 0.5) (no clamp, as in ggml); d, min as fp16.
func quantQ5_1(x []float32, b []byte) {
	mn, mx := minMax(x)
	d := (mx - mn) / 31
	id := inv(d)
	putHalf(b, d)
	putHalf(b[2:], mn)
	var qh uint32
	for j := 0; j < 16; j++ {
		q0 := uint8(cvtt(float32((x[j]-mn)*id) + 0.5))
		q1 := uint8(cvtt(float32((x[j+16]-mn)*id) + 0.5))
		b[8+j] = q0&0x0F | (q1&0x0F)<<4
		qh |= uint32(q0&0x10) >> 4 << j
		qh |= uint32(q1&0x10) >> 4 << (j + 16)
	}
	binary.LittleEndian.PutUint32(b[4:], qh)
}

// quantQ8_0 is quantize_row_q8_0_ref: d = max|x| / 127, id = 1/d (or 0),
// qs[j] = roundf(x[j]*id) (halfway away from zero); d as fp16.
func quantQ8_0(x []float32, b []byte) {
	amax, _ := absMax(x)
	d := amax / 127
	id := inv(d)
	putHalf(b, d)
	for j := 0; j < 32; j++ {
		b[2+j] = uint8(int8(cvtt(roundf(x[j] * id))))
	}
}

// quantQ8_1 is quantize_row_q8_1_ref: as Q8_0, plus s = fp16(sum(qs) * d).
func quantQ8_1(x []float32, b []byte) {
	amax, _ := absMax(x)
	d := amax / 127
	id := inv(d)
	putHalf(b, d)
	var sum int32
	for j := 0; j < 32; j++ {
		q := int8(cvtt(roundf(x[j] * id)))
		b[4+j] = uint8(q)
		sum += int32(q)
	}
	putHalf(b[2:], float32(sum)*d)
}
