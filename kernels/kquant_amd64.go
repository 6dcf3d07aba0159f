//go:build amd64 && !purego

package kernels

import (
	"golang.org/x/sys/cpu"

	"github.com/llmpipe/llmpipe/quant"
)

// haveKQuantAsm reports whether the k-quant assembly can run: AVX2 and FMA
// (haveAVX2FMA) and F16C for the fp16 block scales (VCVTPH2PS).
var haveKQuantAsm = haveAVX2FMA && cpu.X86.HasF16C

// dotQ4KAVX2 returns the dot product of nb block_q4_K at w and nb
// block_q8_K at x in ggml's AVX2 order (see kquant_amd64.s). Ends with
// VZEROUPPER.
//
//go:noescape
func dotQ4KAVX2(w, x *byte, nb int) float32

// dotQ6KAVX2 is dotQ4KAVX2 for block_q6_K weights.
//
//go:noescape
func dotQ6KAVX2(w, x *byte, nb int) float32

// dotQ4KFast is the Q4_K kernel's Dot: the assembly where it can run,
// dotQ4KRef otherwise. It sums the float parts in ggml's AVX2 order, so it
// matches the reference to rounding, not bit for bit. The integer parts
// use the activation block's bsums, as ggml's do: x must come from a Q8_K
// quantizer (bsums the sums of its quants).
//
//	w: [n/256]block_q4_K   x: [n/256]block_q8_K
func dotQ4KFast(w, x []byte, n int) float32 {
	nb := n / qkK
	if !useAsm || !haveKQuantAsm || nb == 0 {
		return dotQ4KRef(w, x, n)
	}
	_, _ = w[nb*q4KBlockBytes-1], x[nb*q8KBlockBytes-1]
	return dotQ4KAVX2(&w[0], &x[0], nb)
}

// dotQ6KFast is dotQ4KFast for Q6_K weights (dotQ6KRef without the
// assembly). The -32 offset of the quants is taken off through the bsums,
// as ggml's AVX2 kernel does, so x must come from a Q8_K quantizer.
//
//	w: [n/256]block_q6_K   x: [n/256]block_q8_K
func dotQ6KFast(w, x []byte, n int) float32 {
	nb := n / qkK
	if !useAsm || !haveKQuantAsm || nb == 0 {
		return dotQ6KRef(w, x, n)
	}
	_, _ = w[nb*q6KBlockBytes-1], x[nb*q8KBlockBytes-1]
	return dotQ6KAVX2(&w[0], &x[0], nb)
}

func init() {
	if haveKQuantAsm {
		RegisterQKernel(quant.Q4_K, QKernel{Dot: dotQ4KFast})
		RegisterQKernel(quant.Q6_K, QKernel{Dot: dotQ6KFast})
	}
}
