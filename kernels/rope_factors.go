package kernels

import (
	"fmt"
	"math"
)

// RoPEFactors is RoPE with a frequency factor per rotated pair, as ggml's
// rope with freq_factors (the rope_freqs.weight tensor of Llama 3.1+ GGUF
// files, llama3-type RoPE scaling): pair i turns by
//
//	θ_i = freqScale·(pos·base^(-2i/ropeDim) / factors[i])
//
// in that order of float32 operations (ggml_rope_cache_init and rope_yarn
// without YaRN extrapolation). With factors nil every factor is 1, which
// gives RoPE's angles when freqScale is 1.
//
//	x: [nHeads, headDim]   factors: [ropeDim/2] or nil
func RoPEFactors(x []float32, nHeads, headDim, ropeDim, pos int, base, freqScale float32, factors []float32, mode RoPEMode) {
	if len(x) != nHeads*headDim || ropeDim > headDim || ropeDim%2 != 0 || (factors != nil && len(factors) != ropeDim/2) {
		panic(fmt.Sprintf("kernels: RoPEFactors x %d elements, want [%d, %d], ropeDim %d, %d factors", len(x), nHeads, headDim, ropeDim, len(factors)))
	}
	half := ropeDim / 2
	thetaScale := ropeThetaScale(base, ropeDim)
	theta := float32(pos)
	for i := 0; i < half; i++ {
		angle := freqScale * theta
		if factors != nil {
			angle = freqScale * (theta / factors[i])
		}
		c := float32(math.Cos(float64(angle)))
		s := float32(math.Sin(float64(angle)))
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
