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
	copy(y.Data, a.Data)
	for r := 0; r < a.Rows; r++ {
		br := r
		if bcast {
			br = 0
		}
		kernels.Add(y.Data[r*a.Cols:(r+1)*a.Cols], b.Data[br*b.Cols:(br+1)*b.Cols])
	}
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		if a.RequiresGrad() {
			kernels.Add(a.Grad, y.Grad)
		}
		if b.RequiresGrad() {
			if !bcast {
				kernels.Add(b.Grad, y.Grad)
				return
			}
			for r := 0; r < a.Rows; r++ {
				kernels.Add(b.Grad, y.Grad[r*a.Cols:(r+1)*a.Cols])
			}
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
	for i, v := range a.Data {
		y.Data[i] = v * b.Data[i]
	}
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		if a.RequiresGrad() {
			for i, g := range y.Grad {
				a.Grad[i] += g * b.Data[i]
			}
		}
		if b.RequiresGrad() {
			for i, g := range y.Grad {
				b.Grad[i] += g * a.Data[i]
			}
		}
	})
	return y
}

// Scale returns s·a.
func Scale(tp *Tape, a *Var, s float32) *Var {
	y := tp.result(a.Rows, a.Cols, a)
	for i, v := range a.Data {
		y.Data[i] = s * v
	}
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		for i, g := range y.Grad {
			a.Grad[i] += s * g
		}
	})
	return y
}

// SiLU returns x·σ(x) elementwise (kernels.SiLU); its derivative is
// σ(x)·(1 + x·(1 − σ(x))).
func SiLU(tp *Tape, x *Var) *Var {
	y := tp.result(x.Rows, x.Cols, x)
	for i, v := range x.Data {
		y.Data[i] = kernels.SiLU(v)
	}
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		for i, g := range y.Grad {
			x.Grad[i] += g * siluGrad(x.Data[i])
		}
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
// (kernels has no GELU yet, so it is computed here, in float64 per element).
func GELU(tp *Tape, x *Var) *Var {
	y := tp.result(x.Rows, x.Cols, x)
	var ths []float32 // tanh(·) per element, kept for the backward pass
	if y.Grad != nil {
		ths = make([]float32, len(x.Data))
	}
	for i, v := range x.Data {
		u := float64(v)
		th := math.Tanh(geluC * (u + 0.044715*u*u*u))
		y.Data[i] = float32(0.5 * u * (1 + th))
		if ths != nil {
			ths[i] = float32(th)
		}
	}
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		for i, g := range y.Grad {
			u, th := float64(x.Data[i]), float64(ths[i])
			d := 0.5*(1+th) + 0.5*u*(1-th*th)*geluC*(1+3*0.044715*u*u)
			x.Grad[i] += g * float32(d)
		}
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
	kernels.SwiGLU(y.Data, gate.Data, up.Data)
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		gg, ug := gate.RequiresGrad(), up.RequiresGrad()
		for i, g := range y.Grad {
			// one exp per element: σ(gate), SiLU = gate·σ, SiLU' = σ·(1 + gate·(1 − σ))
			gv := gate.Data[i]
			s := 1 / (1 + float32(math.Exp(float64(-gv))))
			if gg {
				gate.Grad[i] += g * up.Data[i] * s * (1 + gv*(1-s))
			}
			if ug {
				up.Grad[i] += g * gv * s
			}
		}
	})
	return y
}
