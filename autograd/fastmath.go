package autograd

import (
	"math"

	"github.com/llmpipe/llmpipe/kernels"
)

// signBit is the sign bit of a float32.
const signBit = 1 << 31

// transWork is the cost ParallelFor is told per element of a loop with one
// transcendental function (exp, tanh) per element.
const transWork = 16

// geluC32 is geluC rounded to float32.
const geluC32 = float32(0.7978845608028654)

// parFor8 is parFor over 0..n-1 in ranges that start at multiples of 8, for
// loops that call kernels.ExpInPlace or kernels.SwiGLU on their range: those
// compute whole groups of 8 with AVX2 and a ragged tail in Go, so with
// 8-aligned ranges only the last range has a tail, as one call over
// everything would (results do not depend on the split).
func parFor8(n, work int, fn func(lo, hi int)) {
	parFor((n+7)/8, 8*work, func(lo, hi int) { fn(lo*8, min(hi*8, n)) })
}

// tanhAbs replaces every z[i] by tanh(|z[i]|), through
// tanh(a) = 1 − 2/(e^{2a} + 1) with kernels.ExpInPlace (a ≥ 0, so nothing
// cancels beyond what tanh's own rounding near 0 allows: the absolute error
// is a few float32 ulps of 1, ≤ 4e-7, TestTanhAbs). 2a is clamped at 18,
// where tanh is 1 in float32. Callers restore the sign (tanh is odd).
func tanhAbs(z []float32) {
	for i, v := range z {
		// |v| by clearing the sign bit: a branch on the sign of random
		// data mispredicts half the time (8 ns an element against 1)
		a := 2 * math.Float32frombits(math.Float32bits(v)&^signBit)
		if a > 18 { // rare: predictable
			a = 18
		}
		z[i] = a
	}
	kernels.ExpInPlace(z)
	for i, v := range z {
		z[i] = 1 - 2/(v+1)
	}
}
