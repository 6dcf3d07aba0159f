package autograd

import "math"

// transWork is the cost ParallelFor is told per element of a loop with one
// transcendental function (exp, tanh) per element.
const transWork = 16

// geluC32 is geluC rounded to float32.
const geluC32 = float32(0.7978845608028654)

// expf returns e^x in float32 without going through float64 math.Exp:
// x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts so n·ln2 is exact
// to float32 precision), e^r by its Taylor series to r⁷ (truncation
// < (ln2/2)⁸/8! ≈ 5e-9, under float32's half ulp of 6e-8), scaled by 2^n
// through the exponent bits. Relative error ≤ ~2 ulp (TestExpf); results
// overflow to +Inf above 88.72 and go to 0 below -87.3 (no subnormals,
// which no caller here needs: they are under 1e-37 of the values they are
// added to); NaN gives NaN.
func expf(x float32) float32 {
	const (
		log2e = 1.4426950408889634
		ln2hi = 0.693359375 // 8 significant bits: n·ln2hi is exact for |n| < 2^16
		ln2lo = -2.12194440e-4
	)
	switch {
	case x != x:
		return x
	case x > 88.72:
		return float32(math.Inf(1))
	case x < -87.3:
		return 0
	}
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	// 2^n for n in [-126, 128): n = 128 (x near 88.72) is split in two
	ni := int32(n)
	if ni > 127 {
		return p * 2 * math.Float32frombits(uint32(ni-1+127)<<23)
	}
	return p * math.Float32frombits(uint32(ni+127)<<23)
}

// tanhf returns tanh(x) in float32: 1 − 2/(e^{2x} + 1) through expf, with
// the sign taken from x so that the subtraction never cancels more than it
// must (its absolute error is ≤ ~2e-7; tanh is ±1 in float32 beyond |x| ≥ 9).
func tanhf(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	var t float32
	if a >= 9 {
		t = 1
	} else {
		t = 1 - 2/(expf(2*a)+1)
	}
	if x < 0 {
		return -t
	}
	return t
}
