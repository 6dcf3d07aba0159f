package autograd

import (
	"math"

	"github.com/llmpipe/llmpipe/kernels"
)

// Softmax returns the softmax of every row of x (kernels.Softmax).
// Backward: dx = y ⊙ (dy − Σ_j y_j·dy_j).
//
//	x: [n, d]   → [n, d]
func Softmax(tp *Tape, x *Var) *Var {
	n, d := x.Rows, x.Cols
	y := tp.result(n, d, x)
	parFor(n, transWork*d, func(lo, hi int) {
		copy(y.Data[lo*d:hi*d], x.Data[lo*d:hi*d])
		for t := lo; t < hi; t++ {
			kernels.Softmax(y.Data[t*d : (t+1)*d])
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		parFor(n, 3*d, func(lo, hi int) {
			for t := lo; t < hi; t++ {
				yr, dy, dx := y.Data[t*d:(t+1)*d], y.Grad[t*d:(t+1)*d], x.Grad[t*d:(t+1)*d]
				var s float64
				for j, v := range yr {
					s += float64(v) * float64(dy[j])
				}
				sf := float32(s)
				for j, v := range yr {
					dx[j] += v * (dy[j] - sf)
				}
			}
		})
	})
	return y
}

// logSumExp returns log Σ exp(x), summed in float64 after subtracting the
// maximum.
func logSumExp(x []float32) float64 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v - m))
	}
	return float64(m) + math.Log(s)
}

// LogSoftmax returns x − log Σ exp(x) for every row of x.
// Backward: dx = dy − softmax(x)·Σ_j dy_j.
//
//	x: [n, d]   → [n, d]
func LogSoftmax(tp *Tape, x *Var) *Var {
	n, d := x.Rows, x.Cols
	y := tp.result(n, d, x)
	if d == 0 {
		return y
	}
	parFor(n, transWork*d, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			xr, yr := x.Data[t*d:(t+1)*d], y.Data[t*d:(t+1)*d]
			lse := logSumExp(xr)
			for j, v := range xr {
				yr[j] = float32(float64(v) - lse)
			}
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		parFor(n, transWork*d, func(lo, hi int) {
			for t := lo; t < hi; t++ {
				yr, dy, dx := y.Data[t*d:(t+1)*d], y.Grad[t*d:(t+1)*d], x.Grad[t*d:(t+1)*d]
				var s float64
				for _, g := range dy {
					s += float64(g)
				}
				for j, v := range yr {
					dx[j] += dy[j] - float32(math.Exp(float64(v))*s)
				}
			}
		})
	})
	return y
}
