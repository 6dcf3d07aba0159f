package tensor

import "math"

// F16ToF32 converts IEEE binary16 bits to a float32 exactly, as ggml's
// ggml_compute_fp16_to_fp32 (ggml-impl.h): normal numbers by rebiasing the
// exponent and scaling by 2^-112, subnormals through the magic-bias
// subtraction (h&0x3ff) * 2^-24, ±Inf to ±Inf, NaN to a quiet NaN that keeps
// the sign and the payload shifted into the top of the float32 mantissa.
func F16ToF32(h uint16) float32 {
	w := uint32(h) << 16
	sign := w & 0x80000000
	twoW := w + w
	if twoW < 1<<27 {
		// Subnormal or zero: a float32 in [0.5, 1) minus 0.5.
		den := math.Float32frombits((twoW>>17)|126<<23) - 0.5
		return math.Float32frombits(sign | math.Float32bits(den))
	}
	if twoW >= 0xF8000000 {
		// Exponent all ones: Inf, or NaN made quiet (as x86 multiplies it).
		mant := (twoW >> 4) & 0x007FFFFF
		if mant != 0 {
			mant |= 0x00400000
		}
		return math.Float32frombits(sign | 0x7F800000 | mant)
	}
	norm := math.Float32frombits((twoW>>4)+0xE0<<23) * 0x1p-112
	return math.Float32frombits(sign | math.Float32bits(norm))
}

// F32ToF16 converts a float32 to IEEE binary16 bits as ggml's
// ggml_compute_fp32_to_fp16 (ggml-impl.h): round to nearest, ties to even;
// overflow to ±Inf; subnormal results rounded correctly; any NaN becomes
// 0x7E00 with the input's sign.
func F32ToF16(f float32) uint16 {
	const scaleToInf = float32(0x1p+112)
	const scaleToZero = float32(0x1p-110)
	a := float32(math.Abs(float64(f)))
	base := float32(a*scaleToInf) * scaleToZero
	w := math.Float32bits(f)
	shl1W := w + w
	sign := w & 0x80000000
	bias := shl1W & 0xFF000000
	if bias < 0x71000000 {
		bias = 0x71000000
	}
	base = math.Float32frombits((bias>>1)+0x07800000) + base
	b := math.Float32bits(base)
	expBits := (b >> 13) & 0x00007C00
	mantBits := b & 0x00000FFF
	nonsign := expBits + mantBits
	if shl1W > 0xFF000000 {
		nonsign = 0x7E00
	}
	return uint16(sign>>16 | nonsign)
}

// BF16ToF32 converts bfloat16 bits to a float32 exactly (the bits become the
// top half of the float32), as ggml_compute_bf16_to_fp32.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 converts a float32 to bfloat16 bits as ggml_compute_fp32_to_bf16:
// round to nearest, ties to even (overflowing to ±Inf); subnormals kept; NaN
// truncated and made quiet (bit 6 set).
func F32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 64
	}
	return uint16((u + (0x7fff + ((u >> 16) & 1))) >> 16)
}

// RoundF16 rounds every element of x to the nearest binary16 value in place
// (what storing into an f16 buffer and reading back does).
func RoundF16(x []float32) {
	for i, v := range x {
		x[i] = F16ToF32(F32ToF16(v))
	}
}

// F16BytesToF32 decodes n little-endian binary16 values from b into dst
// (len(dst) values; b must hold 2·len(dst) bytes).
func F16BytesToF32(dst []float32, b []byte) {
	_ = b[:2*len(dst)]
	for i := range dst {
		dst[i] = F16ToF32(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
}
