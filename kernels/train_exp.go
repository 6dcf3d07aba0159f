package kernels

import "math"

// ExpInPlace sets x[i] = e^x[i] for every i. With AVX2+FMA, whole groups
// of 8 use the AVX2 polynomial exp of the attention and SwiGLU kernels
// (within a few ulp of math.Exp; 0 below e^-87); the rest, and every
// element without AVX2, is float32(math.Exp). Inputs must be at most 88
// (callers clamp: e^88 is near float32's largest value). Each element's
// result depends only on its value and on whether it falls in a whole
// group of 8 counted from x[0], so callers that split x into ranges at
// multiples of 8 get the same bits as one call.
func ExpInPlace(x []float32) {
	n8 := 0
	if useAsm {
		n8 = len(x) &^ 7
		if n8 > 0 {
			attnExpSum(&x[0], n8, 0)
		}
	}
	for i := n8; i < len(x); i++ {
		x[i] = float32(math.Exp(float64(x[i])))
	}
}
