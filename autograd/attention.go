package autograd

import (
	"fmt"
	"math"
	"sync"

	"github.com/llmpipe/llmpipe/kernels"
)

// Attention is causal scaled dot-product attention with grouped KV heads
// (Vaswani et al. 2017; Ainslie et al. 2023) over batch sequences of T
// tokens each, stored one after another (the rows of q, k and v are
// [batch·T]). Query head h of token t reads KV head h/(nHeads/nKVHeads) of
// the positions p ≤ t of its own sequence:
//
//	P = softmax_p(scale · q_{t,h}·k_{p,h'})   (p > t masked out)
//	out_{t,h} = Σ_p P_{t,p} · v_{p,h'}
//	q: [batch·T, nHeads·headDim]   k, v: [batch·T, nKVHeads·headDim]   → [batch·T, nHeads·headDim]
//
// Per sequence and head, the score and weighted-value products are
// kernels.MatMul calls on the head's gathered [T, headDim] slices (the
// masked half is computed and discarded; the products run at the kernel's
// speed). The probabilities P are kept for the backward pass
// (batch·nHeads·T² floats), which is, with dS = P ⊙ (dP − Σ_p P⊙dP)·scale:
//
//	dP = dO·Vᵀ   dQ = dS·K   dK += dSᵀ·Q   dV += Pᵀ·dO
func Attention(tp *Tape, q, k, v *Var, batch, nHeads, nKVHeads int, scale float32) *Var {
	return attention(tp, q, k, v, batch, nHeads, nKVHeads, scale, nil)
}

// attention is Attention where row r (a position t of its sequence) attends
// only to the positions start[r] ≤ p ≤ t (start nil: from 0). Masked
// probabilities are exact zeros, so the products, which still run over the
// whole T×T square, add nothing from them.
func attention(tp *Tape, q, k, v *Var, batch, nHeads, nKVHeads int, scale float32, start []int) *Var {
	if batch <= 0 || nHeads <= 0 || nKVHeads <= 0 || nHeads%nKVHeads != 0 || q.Cols%nHeads != 0 ||
		q.Rows%batch != 0 || k.Rows != q.Rows || v.Rows != q.Rows ||
		k.Cols != nKVHeads*(q.Cols/nHeads) || v.Cols != k.Cols {
		panic(fmt.Sprintf("autograd: Attention q %v k %v v %v batch %d nHeads %d nKVHeads %d", q, k, v, batch, nHeads, nKVHeads))
	}
	T, hd := q.Rows/batch, q.Cols/nHeads
	qDim, kvDim, group := q.Cols, k.Cols, nHeads/nKVHeads
	y := tp.result(q.Rows, qDim, q, k, v)
	track := y.Grad != nil
	var probs []float32
	if track {
		probs = tp.buf(batch * nHeads * T * T)
	}
	// Work is split over the kernels' pool by (sequence, KV head): each
	// unit runs its group of query heads in order and writes only its own
	// columns (and rows) of y, probs and the gradients, so results do not
	// depend on the thread count. The products inside may split further.
	units := batch * nKVHeads
	perUnit := group * 4 * T * T * hd
	parFor(units, perUnit, func(lo, hi int) {
		buf := getScratch(4*T*hd + T*T)
		defer putScratch(buf)
		qh, kh, vt, oh := buf[:T*hd], buf[T*hd:2*T*hd], buf[2*T*hd:3*T*hd], buf[3*T*hd:4*T*hd]
		s := buf[4*T*hd:]
		for u := lo; u < hi; u++ {
			b, kvh := u/nKVHeads, u%nKVHeads
			r0, kvo := b*T, kvh*hd
			gather(kh, k.Data, r0, T, kvDim, kvo, hd)
			gatherT(vt, v.Data, r0, T, kvDim, kvo, hd)
			for h := kvh * group; h < (kvh+1)*group; h++ {
				qo := h * hd
				gather(qh, q.Data, r0, T, qDim, qo, hd)
				// s[t, p] = q_t·k_p
				kernels.MatMul(s, kh, qh, T, T, hd)
				for t := 0; t < T; t++ {
					row := s[t*T : (t+1)*T]
					lo := 0
					if start != nil {
						lo = start[r0+t]
						clear(row[:lo])
					}
					softmaxScaled(row[lo:t+1], scale)
					clear(row[t+1:])
				}
				// oh[t, i] = Σ_p P[t, p]·v[p, i]
				kernels.MatMul(oh, vt, s, T, hd, T)
				scatter(y.Data, oh, r0, T, qDim, qo, hd)
				if track {
					copy(probs[(b*nHeads+h)*T*T:], s)
				}
			}
		}
	})
	if !track {
		return y
	}
	tp.record(func() {
		parFor(units, 2*perUnit, func(lo, hi int) {
			buf := getScratch(6*T*hd + 2*T*T)
			defer putScratch(buf)
			th := T * hd
			dO, vh, khT, qhT := buf[:th], buf[th:2*th], buf[2*th:3*th], buf[3*th:4*th]
			dOT, tmp := buf[4*th:5*th], buf[5*th:6*th]
			dS, tT := buf[6*th:6*th+T*T], buf[6*th+T*T:] // tT: a transposed T×T matrix
			for u := lo; u < hi; u++ {
				b, kvh := u/nKVHeads, u%nKVHeads
				r0, kvo := b*T, kvh*hd
				gather(vh, v.Data, r0, T, kvDim, kvo, hd)
				if q.RequiresGrad() {
					gatherT(khT, k.Data, r0, T, kvDim, kvo, hd)
				}
				for h := kvh * group; h < (kvh+1)*group; h++ {
					qo := h * hd
					P := probs[(b*nHeads+h)*T*T : (b*nHeads+h+1)*T*T]
					gather(dO, y.Grad, r0, T, qDim, qo, hd)
					// dP[t, p] = dO_t·v_p, then dS in place
					kernels.MatMul(dS, vh, dO, T, T, hd)
					for t := 0; t < T; t++ {
						pr, dr := P[t*T:(t+1)*T], dS[t*T:(t+1)*T]
						lo := 0
						if start != nil {
							lo = start[r0+t]
							clear(dr[:lo])
						}
						var sum float64
						for p := lo; p <= t; p++ {
							sum += float64(pr[p]) * float64(dr[p])
						}
						sf := float32(sum)
						for p := lo; p <= t; p++ {
							dr[p] = pr[p] * (dr[p] - sf) * scale
						}
						clear(dr[t+1:])
					}
					if q.RequiresGrad() {
						// dQ[t, i] = Σ_p dS[t, p]·k[p, i]
						kernels.MatMul(tmp, khT, dS, T, hd, T)
						scatterAdd(q.Grad, tmp, r0, T, qDim, qo, hd)
					}
					if k.RequiresGrad() {
						// dK[p, i] = Σ_t dS[t, p]·q[t, i]
						gatherT(qhT, q.Data, r0, T, qDim, qo, hd)
						transposeStrips(tT, dS, T, T, 0, T)
						kernels.MatMul(tmp, qhT, tT, T, hd, T)
						scatterAdd(k.Grad, tmp, r0, T, kvDim, kvo, hd)
					}
					if v.RequiresGrad() {
						// dV[p, i] = Σ_t P[t, p]·dO[t, i]
						transposeStrips(dOT, dO, T, hd, 0, hd)
						transposeStrips(tT, P, T, T, 0, T)
						kernels.MatMul(tmp, dOT, tT, T, hd, T)
						scatterAdd(v.Grad, tmp, r0, T, kvDim, kvo, hd)
					}
				}
			}
		})
	})
	return y
}

// attnScratch holds Attention's per-goroutine scratch buffers (*[]float32)
// between calls: every chunk of a step would otherwise allocate its own
// (T² floats each).
var attnScratch sync.Pool

// getScratch returns a buffer of n elements (not zeroed) from attnScratch.
func getScratch(n int) []float32 {
	if p, ok := attnScratch.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float32, n)
}

// putScratch hands b back to attnScratch.
func putScratch(b []float32) { attnScratch.Put(&b) }

// softmaxScaled replaces x by softmax(scale·x): the maximum subtracted,
// the exponentials by kernels.ExpInPlace (AVX2, a few ulp of math.Exp), their
// sum in float64.
func softmaxScaled(x []float32, scale float32) {
	m := float32(math.Inf(-1))
	for i, v := range x {
		v *= scale
		x[i] = v
		m = max(m, v)
	}
	for i := range x {
		x[i] -= m
	}
	kernels.ExpInPlace(x)
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// gather copies columns off..off+w of rows r0..r0+n of the [*, cols] matrix
// src into dst [n, w].
func gather(dst, src []float32, r0, n, cols, off, w int) {
	for t := 0; t < n; t++ {
		copy(dst[t*w:(t+1)*w], src[(r0+t)*cols+off:(r0+t)*cols+off+w])
	}
}

// gatherT is gather transposed: dst [w, n].
func gatherT(dst, src []float32, r0, n, cols, off, w int) {
	for t := 0; t < n; t++ {
		row := src[(r0+t)*cols+off : (r0+t)*cols+off+w]
		for i, x := range row {
			dst[i*n+t] = x
		}
	}
}

// scatter copies src [n, w] into columns off..off+w of rows r0.. of dst.
func scatter(dst, src []float32, r0, n, cols, off, w int) {
	for t := 0; t < n; t++ {
		copy(dst[(r0+t)*cols+off:(r0+t)*cols+off+w], src[t*w:(t+1)*w])
	}
}

// scatterAdd is scatter with +=.
func scatterAdd(dst, src []float32, r0, n, cols, off, w int) {
	for t := 0; t < n; t++ {
		kernels.Add(dst[(r0+t)*cols+off:(r0+t)*cols+off+w], src[t*w:(t+1)*w])
	}
}

// DefaultScale returns 1/√headDim, the usual attention scale.
func DefaultScale(headDim int) float32 { return float32(1 / math.Sqrt(float64(headDim))) }
