package kernels

import (
	"fmt"
	"math"
)

// RoPEMode is the pairing of dimensions that rotary embedding rotates.
type RoPEMode int

const (
	// RoPENormal rotates adjacent pairs (x[2i], x[2i+1]): the original
	// RoFormer/Meta Llama layout, ggml's LLAMA_ROPE_TYPE_NORM.
	RoPENormal RoPEMode = iota
	// RoPENeoX rotates (x[i], x[i+ropeDim/2]): GPT-NeoX's and HF
	// transformers' rotate_half layout, ggml's LLAMA_ROPE_TYPE_NEOX.
	RoPENeoX
)

// String returns "normal" or "neox".
func (m RoPEMode) String() string {
	switch m {
	case RoPENormal:
		return "normal"
	case RoPENeoX:
		return "neox"
	}
	return fmt.Sprintf("RoPEMode(%d)", int(m))
}

// RoPE applies rotary position embedding in place to the nHeads heads of one
// token at position pos. For pair i < ropeDim/2 of every head, with
// θ_i = pos·freqScale·base^(-2i/ropeDim) (the power taken by repeated
// multiplication in float32, as ggml's rope cache does):
//
//	(a, b) ← (a·cos θ_i − b·sin θ_i, a·sin θ_i + b·cos θ_i)
//
// where (a, b) is (x[2i], x[2i+1]) in RoPENormal mode and
// (x[i], x[i+ropeDim/2]) in RoPENeoX mode. Dimensions ropeDim..headDim-1 are
// left unchanged. freqScale is 1/factor for linear RoPE scaling (1 for none).
//
//	x: [nHeads, headDim]   (ropeDim ≤ headDim, even)
func RoPE(x []float32, nHeads, headDim, ropeDim, pos int, base, freqScale float32, mode RoPEMode) {
	if len(x) != nHeads*headDim || ropeDim > headDim || ropeDim%2 != 0 {
		panic(fmt.Sprintf("kernels: RoPE x %d elements, want [%d, %d], ropeDim %d", len(x), nHeads, headDim, ropeDim))
	}
	half := ropeDim / 2
	thetaScale := float32(math.Pow(float64(base), -2/float64(ropeDim)))
	theta := float32(pos) * freqScale
	for i := 0; i < half; i++ {
		c := float32(math.Cos(float64(theta)))
		s := float32(math.Sin(float64(theta)))
		for h := 0; h < nHeads; h++ {
			v := x[h*headDim : (h+1)*headDim]
			ia, ib := 2*i, 2*i+1
			if mode == RoPENeoX {
				ia, ib = i, i+half
			}
			a, b := v[ia], v[ib]
			v[ia] = a*c - b*s
			v[ib] = a*s + b*c
		}
		theta *= thetaScale
	}
}
