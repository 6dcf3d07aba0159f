package autograd

import (
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/kernels"
)

// Add returns a + b (the residual connection). b has a's shape, or one row
// that is added to every row of a (a bias or a position table).
//
//	a: [n, d]   b: [n, d] or [1, d]   → [n, d]
func Add(tp *Tape, a, b *Var) *Var {
	bcast := b.Rows == 1 && a.Rows != 1
	if a.Cols != b.Cols || (!bcast && a.Rows != b.Rows) {
		panic(fmt.Sprintf("autograd: Add of %v and %v", a, b))
	}
	y := tp.result(a.Rows, a.Cols, a, b)
	d := a.Cols
	parFor(a.Rows, d, func(lo, hi int) {
		copy(y.Data[lo*d:hi*d], a.Data[lo*d:hi*d])
		for r := lo; r < hi; r++ {
			br := r
			if bcast {
				br = 0
			}
			kernels.Add(y.Data[r*d:(r+1)*d], b.Data[br*d:(br+1)*d])
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		if a.RequiresGrad() {
			addPar(a.Grad, y.Grad)
		}
		if b.RequiresGrad() {
			if !bcast {
				addPar(b.Grad, y.Grad)
				return
			}
			colSumsAddPar(b.Grad, y.Grad, a.Rows, d)
		}
	})
	return y
}

// Mul returns the elementwise product a ⊙ b.
//
//	a, b: [n, d]   → [n, d]
func Mul(tp *Tape, a, b *Var) *Var {
	sameShape("Mul", a, b)
	y := tp.result(a.Rows, a.Cols, a, b)
	parFor(len(y.Data), elemWork, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y.Data[i] = a.Data[i] * b.Data[i]
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		parFor(len(y.Grad), 2*elemWork, func(lo, hi int) {
			if a.RequiresGrad() {
				for i := lo; i < hi; i++ {
					a.Grad[i] += y.Grad[i] * b.Data[i]
				}
			}
			if b.RequiresGrad() {
				for i := lo; i < hi; i++ {
					b.Grad[i] += y.Grad[i] * a.Data[i]
				}
			}
		})
	})
	return y
}

// Scale returns s·a.
func Scale(tp *Tape, a *Var, s float32) *Var {
	y := tp.result(a.Rows, a.Cols, a)
	parFor(len(y.Data), elemWork, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y.Data[i] = s * a.Data[i]
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		parFor(len(y.Grad), elemWork, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				a.Grad[i] += s * y.Grad[i]
			}
		})
	})
	return y
}

// SiLU returns x·σ(x) elementwise (kernels.SiLU); its derivative is
// σ(x)·(1 + x·(1 − σ(x))).
func SiLU(tp *Tape, x *Var) *Var {
	y := tp.result(x.Rows, x.Cols, x)
	parFor(len(y.Data), transWork, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y.Data[i] = kernels.SiLU(x.Data[i])
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		parFor(len(y.Grad), transWork, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				x.Grad[i] += y.Grad[i] * siluGrad(x.Data[i])
			}
		})
	})
	return y
}

func siluGrad(x float32) float32 {
	s := float32(sigmoid(float64(x)))
	return s * (1 + x*(1-s))
}

// geluC is √(2/π), the constant of GELU's tanh approximation.
var geluC = math.Sqrt(2 / math.Pi)

// GELU returns GPT-2's tanh approximation of the Gaussian error linear unit
// (Hendrycks & Gimpel 2016) elementwise:
//
//	0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
//
// computed in float32 with tanhAbs (kernels.ExpInPlace, AVX2): within
// 4e-7·(1+|x|) of the float64 formula (TestGELUFast's bound: tanhAbs's
// 4e-7 absolute error times 0.5·|x| plus float32 rounding). The backward
// pass uses the kept tanh values:
// d/dx = 0.5·(1 + th) + 0.5·x·(1 − th²)·√(2/π)·(1 + 3·0.044715·x²).
func GELU(tp *Tape, x *Var) *Var {
	y := tp.result(x.Rows, x.Cols, x)
	var ths []float32 // tanh(·) per element, kept for the backward pass
	if y.Grad != nil {
		ths = tp.buf(len(x.Data))
	}
	parFor8(len(x.Data), transWork, func(lo, hi int) {
		var th []float32
		if ths != nil {
			th = ths[lo:hi]
		} else {
			th = getScratch(hi - lo)
			defer putScratch(th)
		}
		xs := x.Data[lo:hi]
		for i, u := range xs {
			th[i] = geluC32 * (u + 0.044715*u*u*u)
		}
		tanhAbs(th)
		ys := y.Data[lo:hi]
		for i, u := range xs {
			// tanh is odd and its argument has the sign of u: copy u's
			// sign bit (no branch, which random signs would mispredict)
			t := math.Float32frombits(math.Float32bits(th[i]) | math.Float32bits(u)&signBit)
			th[i] = t
			ys[i] = 0.5 * u * (1 + t)
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		parFor(len(y.Grad), 4*elemWork, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				u, th := x.Data[i], ths[i]
				d := 0.5*(1+th) + 0.5*u*(1-th*th)*geluC32*(1+3*0.044715*u*u)
				x.Grad[i] += y.Grad[i] * d
			}
		})
	})
	return y
}

// SwiGLU returns SiLU(gate) ⊙ up (kernels.SwiGLU), Llama's gated
// feed-forward activation.
//
//	gate, up: [n, ffn]   → [n, ffn]
func SwiGLU(tp *Tape, gate, up *Var) *Var {
	sameShape("SwiGLU", gate, up)
	y := tp.result(gate.Rows, gate.Cols, gate, up)
	// ranges of whole groups of 8: kernels.SwiGLU computes those with
	// AVX2 and a ragged tail in Go, so only the last range may have a tail,
	// as in one call over everything (results do not depend on the split)
	parFor8(len(y.Data), transWork, func(lo, hi int) {
		kernels.SwiGLU(y.Data[lo:hi], gate.Data[lo:hi], up.Data[lo:hi])
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		gg, ug := gate.RequiresGrad(), up.RequiresGrad()
		parFor8(len(y.Grad), transWork, func(lo, hi int) {
			// one exp per element: σ(gate) = 1/(1 + e^-gate), SiLU = gate·σ,
			// SiLU' = σ·(1 + gate·(1 − σ)); e^-gate is clamped at e^88
			// (σ below 1e-38 either way)
			e := getScratch(hi - lo)
			defer putScratch(e)
			for i := range e {
				e[i] = min(-gate.Data[lo+i], 88)
			}
			kernels.ExpInPlace(e)
			for i, ev := range e {
				j := lo + i
				g, gv := y.Grad[j], gate.Data[j]
				s := 1 / (1 + ev)
				if gg {
					gate.Grad[j] += g * up.Data[j] * s * (1 + gv*(1-s))
				}
				if ug {
					up.Grad[j] += g * gv * s
				}
			}
		})
	})
	return y
}
