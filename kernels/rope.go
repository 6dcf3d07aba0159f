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
// θ_i = freqScale·(pos·s^i), s = base^(-2/ropeDim) (the exponent divided and
// the power taken in float32, pos·s^i by repeated multiplication in float32,
// then the frequency scale: ggml's rope_cache_init and rope_yarn without YaRN
// extension),
//
//	(a, b) ← (a·cos θ_i − b·sin θ_i, a·sin θ_i + b·cos θ_i)
//
// where (a, b) is (x[2i], x[2i+1]) in RoPENormal mode and
// (x[i], x[i+ropeDim/2]) in RoPENeoX mode. Dimensions ropeDim..headDim-1 are
// left unchanged. freqScale is 1/factor for linear RoPE scaling (1 for none).
// This is the reference; RoPETable and RoPERotate give the same bits for a
// batch of tokens, computing each position's angles once.
//
//	x: [nHeads, headDim]   (ropeDim ≤ headDim, even)
func RoPE(x []float32, nHeads, headDim, ropeDim, pos int, base, freqScale float32, mode RoPEMode) {
	if len(x) != nHeads*headDim || ropeDim > headDim || ropeDim%2 != 0 {
		panic(fmt.Sprintf("kernels: RoPE x %d elements, want [%d, %d], ropeDim %d", len(x), nHeads, headDim, ropeDim))
	}
	RoPEFactors(x, nHeads, headDim, ropeDim, pos, base, freqScale, nil, mode) // θ/1 = θ: the same bits
}

// ropeThetaScale is ggml's theta_scale = powf(base, -2.0f/ropeDim): the
// exponent in float32, the power rounded to float32.
func ropeThetaScale(base float32, ropeDim int) float32 {
	e := float32(-2) / float32(ropeDim)
	return float32(math.Pow(float64(base), float64(e)))
}

// RoPETable fills cos and sin ([nTok, ropeDim/2], nTok = len(cos)/(ropeDim/2))
// with cos θ_i and sin θ_i of RoPE at positions pos0..pos0+nTok-1, so that a
// forward pass computes them once for all layers, queries and keys. With
// factors (rope_freqs.weight, [ropeDim/2]) pair i's angle is divided by
// factors[i] first, as RoPEFactors does; nil means RoPE's angles.
func RoPETable(cos, sin []float32, pos0, ropeDim int, base, freqScale float32, factors []float32) {
	half := ropeDim / 2
	if ropeDim < 0 || ropeDim%2 != 0 || len(sin) != len(cos) || (half == 0 && len(cos) != 0) || (half > 0 && len(cos)%half != 0) ||
		(factors != nil && len(factors) != half) {
		panic(fmt.Sprintf("kernels: RoPETable cos %d sin %d, ropeDim %d", len(cos), len(sin), ropeDim))
	}
	if half == 0 {
		return
	}
	thetaScale := ropeThetaScale(base, ropeDim)
	for t := 0; t < len(cos)/half; t++ {
		theta := float32(pos0 + t)
		for i := 0; i < half; i++ {
			th := theta
			if factors != nil {
				th = theta / factors[i]
			}
			cos[t*half+i] = float32(math.Cos(float64(freqScale * th)))
			sin[t*half+i] = float32(math.Sin(float64(freqScale * th)))
			theta *= thetaScale
		}
	}
}

// RoPERotate applies rotary embedding to nTok tokens of nHeads heads with the
// angles of RoPETable (token t at the table's row t): bit for bit what RoPE
// does at each position.
//
//	x: [nTok, nHeads, headDim]   cos, sin: [nTok, ropeDim/2]
func RoPERotate(x, cos, sin []float32, nTok, nHeads, headDim, ropeDim int, mode RoPEMode) {
	half := ropeDim / 2
	if len(x) != nTok*nHeads*headDim || ropeDim > headDim || ropeDim%2 != 0 || len(cos) != nTok*half || len(sin) != len(cos) {
		panic(fmt.Sprintf("kernels: RoPERotate x %d cos %d sin %d, want [%d, %d, %d], ropeDim %d",
			len(x), len(cos), len(sin), nTok, nHeads, headDim, ropeDim))
	}
	for t := 0; t < nTok; t++ {
		ct, st := cos[t*half:(t+1)*half], sin[t*half:(t+1)*half]
		for h := 0; h < nHeads; h++ {
			v := x[(t*nHeads+h)*headDim : (t*nHeads+h+1)*headDim]
			if mode == RoPENeoX {
				a, b := v[:half], v[half:ropeDim]
				for i, c := range ct {
					s := st[i]
					x0, x1 := a[i], b[i]
					a[i] = x0*c - x1*s
					b[i] = x0*s + x1*c
				}
				continue
			}
			for i, c := range ct {
				s := st[i]
				x0, x1 := v[2*i], v[2*i+1]
				v[2*i] = x0*c - x1*s
				v[2*i+1] = x0*s + x1*c
			}
		}
	}
}
