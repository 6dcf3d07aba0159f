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

// q50DotAVX2, q41DotAVX2 and q51DotAVX2 return the dot product of nb ≥ 1
// blocks of block_q5_0 and block_q8_0, block_q4_1 and block_q8_1,
// block_q5_1 and block_q8_1 (ggml's AVX2 schemes). They end with
// VZEROUPPER. Implemented in qother_amd64.s.
//
//go:noescape
func q50DotAVX2(w, x *byte, nb int) float32

//go:noescape
func q41DotAVX2(w, x *byte, nb int) float32

//go:noescape
func q51DotAVX2(w, x *byte, nb int) float32

// dotQ5_0Q8_0Fast is the fast Dot of Q5_0 (see dotQ5_KQ8_KFast).
func dotQ5_0Q8_0Fast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ5_0Q8_0Fast", quant.Q5_0, quant.Q8_0, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ5_0Q8_0Ref(w, x, n)
	}
	return q50DotAVX2(&w[0], &x[0], nb)
}

// dotQ4_1Q8_1Fast is the fast Dot of Q4_1 (see dotQ5_KQ8_KFast).
func dotQ4_1Q8_1Fast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ4_1Q8_1Fast", quant.Q4_1, quant.Q8_1, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ4_1Q8_1Ref(w, x, n)
	}
	return q41DotAVX2(&w[0], &x[0], nb)
}

// dotQ5_1Q8_1Fast is the fast Dot of Q5_1 (see dotQ5_KQ8_KFast).
func dotQ5_1Q8_1Fast(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ5_1Q8_1Fast", quant.Q5_1, quant.Q8_1, w, x, n)
	if !useAsm || !haveOtherQAsm || nb == 0 {
		return dotQ5_1Q8_1Ref(w, x, n)
	}
	return q51DotAVX2(&w[0], &x[0], nb)
}

func init() {
	if haveOtherQAsm {
		RegisterQKernel(quant.Q4_1, QKernel{Dot: dotQ4_1Q8_1Fast})
		RegisterQKernel(quant.Q5_0, QKernel{Dot: dotQ5_0Q8_0Fast})
		RegisterQKernel(quant.Q5_1, QKernel{Dot: dotQ5_1Q8_1Fast})
		RegisterQKernel(quant.Q2_K, QKernel{Dot: dotQ2_KQ8_KFast})
		RegisterQKernel(quant.Q3_K, QKernel{Dot: dotQ3_KQ8_KFast})
		RegisterQKernel(quant.Q5_K, QKernel{Dot: dotQ5_KQ8_KFast})
	}
}
