package tensor

import "math"

// F16ToF32 returns the float32 value of the IEEE 754 binary16 bits h. Every
// half value (subnormals, ±Inf, NaN) is exactly representable in float32.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = mant · 2^-24.
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	default:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	}
}

// F32ToF16 returns the binary16 bits nearest to f (ties to even), with
// overflow to ±Inf and NaN kept a (quiet) NaN.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign // underflows to ±0
		}
		m := mant | 0x800000 // implicit bit
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
		half++ // may carry into the exponent, up to Inf: still correct
	}
	return sign | uint16(half)
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
