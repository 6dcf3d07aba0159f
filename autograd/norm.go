package autograd

import (
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/kernels"
)

// RMSNorm normalizes every row of x by its root mean square and scales it by
// w (kernels.RMSNorm, Zhang & Sennrich 2019):
//
//	y = x · r · w,   r = 1/√(mean(x²) + eps)
//	x: [n, d]   w: [1, d]   → [n, d]
//
// Backward, per row: dx = r·(w⊙dy) − r³/d · x · Σ_j w_j·dy_j·x_j, and
// dw += r · dy ⊙ x.
func RMSNorm(tp *Tape, x, w *Var, eps float32) *Var {
	n, d := x.Rows, x.Cols
	if w.Rows != 1 || w.Cols != d {
		panic(fmt.Sprintf("autograd: RMSNorm x %v w %v: want w [1, %d]", x, w, d))
	}
	y := tp.result(n, d, x, w)
	parFor(n, 2*d, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			kernels.RMSNorm(y.Data[t*d:(t+1)*d], x.Data[t*d:(t+1)*d], w.Data, eps)
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		// rows split over the pool for dx; dw, a sum over rows, split by
		// columns in a second pass (each column summed in row order)
		rs := make([]float32, n)
		parFor(n, 4*d, func(lo, hi int) {
			for t := lo; t < hi; t++ {
				xr, dy := x.Data[t*d:(t+1)*d], y.Grad[t*d:(t+1)*d]
				var ss, dot float64
				for j, v := range xr {
					ss += float64(v) * float64(v)
					dot += float64(w.Data[j]) * float64(dy[j]) * float64(v)
				}
				r := 1 / math.Sqrt(ss/float64(d)+float64(eps))
				rs[t] = float32(r)
				if x.RequiresGrad() {
					dx := x.Grad[t*d : (t+1)*d]
					c := float32(r * r * r * dot / float64(d))
					rf := float32(r)
					for j, v := range xr {
						dx[j] += rf*w.Data[j]*dy[j] - c*v
					}
				}
			}
		})
		if w.RequiresGrad() {
			parFor(d, 2*n, func(lo, hi int) {
				for t := 0; t < n; t++ {
					rf := rs[t]
					xr, dy := x.Data[t*d:(t+1)*d], y.Grad[t*d:(t+1)*d]
					for j := lo; j < hi; j++ {
						w.Grad[j] += rf * dy[j] * xr[j]
					}
				}
			})
		}
	})
	return y
}

// LayerNorm normalizes every row of x to zero mean and unit variance, then
// scales by w and shifts by b (Ba et al. 2016; GPT-2's ln_1, ln_2, ln_f):
//
//	y = (x − μ)·s · w + b,   s = 1/√(var(x) + eps)   (biased variance)
//	x: [n, d]   w, b: [1, d] (b may be nil)   → [n, d]
//
// Backward, per row with x̂ = (x − μ)·s and g = dy ⊙ w:
// dx = s·(g − mean(g) − x̂·mean(g⊙x̂)), dw += dy⊙x̂, db += dy.
// Mean and variance are accumulated in float64.
func LayerNorm(tp *Tape, x, w, b *Var, eps float32) *Var {
	n, d := x.Rows, x.Cols
	if w.Rows != 1 || w.Cols != d || (b != nil && (b.Rows != 1 || b.Cols != d)) {
		panic(fmt.Sprintf("autograd: LayerNorm x %v w %v b %v: want w, b [1, %d]", x, w, b, d))
	}
	y := tp.result(n, d, x, w, b)
	mean, rstd := make([]float32, n), make([]float32, n)
	parFor(n, 3*d, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			xr, yr := x.Data[t*d:(t+1)*d], y.Data[t*d:(t+1)*d]
			var s float64
			for _, v := range xr {
				s += float64(v)
			}
			mu := s / float64(d)
			var vs float64
			for _, v := range xr {
				dv := float64(v) - mu
				vs += dv * dv
			}
			rs := 1 / math.Sqrt(vs/float64(d)+float64(eps))
			mean[t], rstd[t] = float32(mu), float32(rs)
			for j, v := range xr {
				yr[j] = float32((float64(v)-mu)*rs) * w.Data[j]
				if b != nil {
					yr[j] += b.Data[j]
				}
			}
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		// rows split over the pool for dx; dw and db, sums over rows,
		// split by columns in a second pass (each column summed in row
		// order)
		if x.RequiresGrad() {
			parFor(n, 6*d, func(lo, hi int) {
				xh := make([]float32, d)
				for t := lo; t < hi; t++ {
					xr, dy := x.Data[t*d:(t+1)*d], y.Grad[t*d:(t+1)*d]
					var mg, mgx float64
					for j, v := range xr {
						xh[j] = (v - mean[t]) * rstd[t]
						g := float64(dy[j]) * float64(w.Data[j])
						mg += g
						mgx += g * float64(xh[j])
					}
					mg /= float64(d)
					mgx /= float64(d)
					dx := x.Grad[t*d : (t+1)*d]
					for j := range xr {
						g := float64(dy[j]) * float64(w.Data[j])
						dx[j] += float32(float64(rstd[t]) * (g - mg - float64(xh[j])*mgx))
					}
				}
			})
		}
		if w.RequiresGrad() {
			parFor(d, 2*n, func(lo, hi int) {
				for t := 0; t < n; t++ {
					xr, dy := x.Data[t*d:(t+1)*d], y.Grad[t*d:(t+1)*d]
					for j := lo; j < hi; j++ {
						w.Grad[j] += dy[j] * ((xr[j] - mean[t]) * rstd[t])
					}
				}
			})
		}
		if b.RequiresGrad() {
			colSumsAddPar(b.Grad, y.Grad, n, d)
		}
	})
	return y
}
