package kernels

import (
	"fmt"
	"math"
)

// Dot returns Σ a[i]·b[i], accumulated in float32 in index order.
//
//	a, b: [n]
func Dot(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("kernels: Dot of lengths %d and %d", len(a), len(b)))
	}
	return dotRef(a, b)
}

// dotRef is Dot without the length check: the reference summation order.
func dotRef(a, b []float32) float32 {
	var s float32
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// MatVec computes out = W·x, out[r] = Σ_c W[r·cols+c]·x[c].
//
// Rows are split across the worker pool (SetThreads) and each row's dot
// product uses the AVX2/FMA assembly kernels where the CPU has it: one
// 8-lane FMA accumulator per row, the lanes joined pairwise at the end
// (dot_amd64.s), so the sum is ordered differently from Dot's and agrees
// with matVecRef to float32 rounding (not bit for bit). The result does not
// depend on the thread count.
//
//	W: [rows, cols] (a GGUF tensor with dims [cols, rows])   x: [cols]   → out: [rows]
func MatVec(out, w, x []float32) {
	rows, cols := len(out), len(x)
	if len(w) != rows*cols {
		panic(fmt.Sprintf("kernels: MatVec W has %d elements, want [%d, %d]", len(w), rows, cols))
	}
	parallelRows(rows, cols, func(lo, hi int) {
		dotRows(out[lo:hi], w[lo*cols:hi*cols], x)
	})
}

// matVecRef is the reference MatVec: one Dot per row, in index order.
func matVecRef(out, w, x []float32) {
	rows, cols := len(out), len(x)
	if len(w) != rows*cols {
		panic(fmt.Sprintf("kernels: MatVec W has %d elements, want [%d, %d]", len(w), rows, cols))
	}
	for r := range out {
		out[r] = Dot(w[r*cols:(r+1)*cols], x)
	}
}

// matMulTile is how many rows of W the reference path of MatMulQ runs
// against every token before moving on, so that the tile stays in cache
// (15 rows of 4096 floats: 240 KiB).
const matMulTile = 15

// MatMul computes out = X·Wᵀ for a batch of nTok row vectors:
// out[t·rows+r] = Σ_c W[r·cols+c]·X[t·cols+c].
//
// Rows of W are split across the worker pool; each goroutine runs its rows
// in blocks that stay in cache, against 3 tokens at a time through a
// 4-row × 3-token register tile (each weight loaded once per 3 tokens).
// Every element is summed in exactly the order of MatVec's kernel, so
// MatMul of one token equals MatVec bit for bit, and the result depends
// neither on nTok nor on the thread count.
//
//	W: [rows, cols]   X: [nTok, cols]   → out: [nTok, rows]
func MatMul(out, w, x []float32, nTok, rows, cols int) {
	if nTok < 0 || rows < 0 || cols < 0 || len(w) != rows*cols || len(x) != nTok*cols || len(out) != nTok*rows {
		panic(fmt.Sprintf("kernels: MatMul W %d X %d out %d elements, want W [%d, %d] X [%d, %d] out [%d, %d]",
			len(w), len(x), len(out), rows, cols, nTok, cols, nTok, rows))
	}
	if nTok == 1 {
		MatVec(out, w, x)
		return
	}
	parallelRows(rows, nTok*cols, func(lo, hi int) {
		if lo < hi {
			gemm(out[lo:], rows, w[lo*cols:hi*cols], cols, x, cols, cols, hi-lo, nTok)
		}
	})
}

// matMulRef is the reference MatMul: matVecRef per token.
func matMulRef(out, w, x []float32, nTok, rows, cols int) {
	if len(w) != rows*cols || len(x) != nTok*cols || len(out) != nTok*rows {
		panic(fmt.Sprintf("kernels: MatMul W %d X %d out %d elements, want W [%d, %d] X [%d, %d] out [%d, %d]",
			len(w), len(x), len(out), rows, cols, nTok, cols, nTok, rows))
	}
	for t := 0; t < nTok; t++ {
		matVecRef(out[t*rows:(t+1)*rows], w, x[t*cols:(t+1)*cols])
	}
}

// RMSNorm computes out[i] = x[i] / sqrt(mean(x²) + eps) · w[i]; the mean of
// squares is summed in float64, as ggml does. out may be x.
//
//	x, w: [dim]   → out: [dim]
func RMSNorm(out, x, w []float32, eps float32) {
	if len(out) != len(x) || len(w) != len(x) {
		panic(fmt.Sprintf("kernels: RMSNorm out %d x %d w %d", len(out), len(x), len(w)))
	}
	if len(x) == 0 {
		return
	}
	var ss float64
	for _, v := range x {
		ss += float64(v * v)
	}
	mean := float32(ss / float64(len(x)))
	scale := float32(1 / math.Sqrt(float64(mean+eps)))
	for i, v := range x {
		out[i] = v * scale * w[i]
	}
}

// Softmax replaces x by exp(x[i] - max x) / Σ_j exp(x[j] - max x), in place;
// the denominator is summed in float64. An empty x is left alone; if every
// element is -Inf the result is NaN, as the formula says.
//
//	x: [n]
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// SiLU returns x·σ(x) = x / (1 + e^-x).
func SiLU(x float32) float32 {
	return x / (1 + float32(math.Exp(float64(-x))))
}

// SwiGLU computes out[i] = SiLU(gate[i])·up[i], the gated feed-forward
// activation of Llama. out may be gate or up.
//
// With AVX2+FMA, whole groups of 8 use an AVX2 polynomial exp (attnExpSum's,
// within 3 ulp of math.Exp; like ggml's own SIMD ggml_v_silu, not libm) and
// agree with swigluRef to a few ulp (or 1e-35·|up| for gates below -88,
// where SiLU is under 1e-36), with NaN and ±Inf where it has them. The rest
// is swigluRef.
//
//	gate, up: [n]   → out: [n]
func SwiGLU(out, gate, up []float32) {
	if len(gate) != len(out) || len(up) != len(out) {
		panic(fmt.Sprintf("kernels: SwiGLU out %d gate %d up %d", len(out), len(gate), len(up)))
	}
	n8 := 0
	if useAsm {
		n8 = len(out) &^ 7
		if n8 > 0 {
			swigluAVX2(&out[0], &gate[0], &up[0], n8)
		}
	}
	swigluRef(out[n8:], gate[n8:], up[n8:])
}

// swigluRef is the reference SwiGLU: SiLU (math.Exp) times up, per element.
func swigluRef(out, gate, up []float32) {
	for i := range out {
		out[i] = SiLU(gate[i]) * up[i]
	}
}

// Add computes dst[i] += x[i] (the residual connection).
//
//	dst, x: [n]
func Add(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("kernels: Add of lengths %d and %d", len(dst), len(x)))
	}
	for i, v := range x {
		dst[i] += v
	}
}
