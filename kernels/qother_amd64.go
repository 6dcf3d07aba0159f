//go:build amd64 && !purego

package kernels

import (
	"golang.org/x/sys/cpu"

	"github.com/llmpipe/llmpipe/quant"
)

// haveOtherQAsm reports whether the assembly kernels of qother_amd64.s can
// run: AVX2 and FMA, and F16C for the fp16 block scales (VCVTPH2PS).
var haveOtherQAsm = haveAVX2FMA && cpu.X86.HasF16C

// q5kDotAVX2 returns the dot product of nb ≥ 1 block_q5_K (w) and nb
// block_q8_K (x), ggml's AVX2 scheme for ggml_vec_dot_q5_K_q8_K. It ends
// with VZEROUPPER. Implemented in qother_amd64.s.
//
//go:noescape
func q5kDotAVX2(w, x *byte, nb int) float32

// dotQ5_KQ8_KFast is the fast Dot of Q5_K: the assembly kernel where the CPU
// has it and useAsm is set, dotQ5_KQ8_KRef otherwise. Its integer sums are
// exact; only the float32 summation order differs from the reference.
func dotQ5_KQ8_KFast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ5_KQ8_KFast", quant.Q5_K, quant.Q8_K, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ5_KQ8_KRef(w, x, n)
	}
	return q5kDotAVX2(&w[0], &x[0], nb)
}

// q3kDotAVX2 returns the dot product of nb ≥ 1 block_q3_K (w) and nb
// block_q8_K (x), ggml's AVX2 scheme for ggml_vec_dot_q3_K_q8_K. It ends
// with VZEROUPPER. Implemented in qother_amd64.s.
//
//go:noescape
func q3kDotAVX2(w, x *byte, nb int) float32

// q2kDotAVX2 returns the dot product of nb ≥ 1 block_q2_K (w) and nb
// block_q8_K (x), ggml's AVX2 scheme for ggml_vec_dot_q2_K_q8_K. It ends
// with VZEROUPPER. Implemented in qother_amd64.s.
//
//go:noescape
func q2kDotAVX2(w, x *byte, nb int) float32

// dotQ3_KQ8_KFast is the fast Dot of Q3_K (see dotQ5_KQ8_KFast).
func dotQ3_KQ8_KFast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ3_KQ8_KFast", quant.Q3_K, quant.Q8_K, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ3_KQ8_KRef(w, x, n)
	}
	return q3kDotAVX2(&w[0], &x[0], nb)
}

// dotQ2_KQ8_KFast is the fast Dot of Q2_K (see dotQ5_KQ8_KFast).
func dotQ2_KQ8_KFast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ2_KQ8_KFast", quant.Q2_K, quant.Q8_K, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ2_KQ8_KRef(w, x, n)
	}
	return q2kDotAVX2(&w[0], &x[0], nb)
}

func init() {
	if haveOtherQAsm {
		RegisterQKernel(quant.Q2_K, QKernel{Dot: dotQ2_KQ8_KFast})
		RegisterQKernel(quant.Q3_K, QKernel{Dot: dotQ3_KQ8_KFast})
		RegisterQKernel(quant.Q5_K, QKernel{Dot: dotQ5_KQ8_KFast})
	}
}
