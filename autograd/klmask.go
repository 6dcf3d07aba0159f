package autograd

import (
	"fmt"
	"math"
)

// KLMasked is KL over the rows where mask is true: the mean of
// KL(softmax(p[t])‖softmax(q[t])) over the counted rows, the others
// contributing nothing to the value or the gradients. RL and preference
// penalties take the KL to the reference over reply tokens only, so prompt
// and padding rows are masked out. No counted row gives 0.
//
//	p, q: [n, vocab]   mask: [n]   → [1, 1]
//	dq[t] = mask_t·(Q − P)/m   dp[t] = mask_t·P ⊙ (log P − log Q − KL_t)/m   (m = counted rows)
func KLMasked(tp *Tape, p, q *Var, mask []bool) *Var {
	sameShape("KLMasked", p, q)
	if len(mask) != p.Rows {
		panic(fmt.Sprintf("autograd: KLMasked of %v with a mask of %d rows", p, len(mask)))
	}
	return klRows(tp, p, q, mask)
}

// klRows is KL over the rows where mask is true, or over every row when
// mask is nil (KL): the mean over the m counted rows, computed in float64.
func klRows(tp *Tape, p, q *Var, mask []bool) *Var {
	n, V := p.Rows, p.Cols
	y := tp.result(1, 1, p, q)
	counted := func(t int) bool { return mask == nil || mask[t] }
	m := 0
	for t := 0; t < n; t++ {
		if counted(t) {
			m++
		}
	}
	if m == 0 || V == 0 {
		return y
	}
	lp, lq, kl := make([]float64, n*V), make([]float64, n*V), make([]float64, n)
	var sum float64
	for t := 0; t < n; t++ {
		if !counted(t) {
			continue
		}
		pr, qr := p.Data[t*V:(t+1)*V], q.Data[t*V:(t+1)*V]
		lsp, lsq := logSumExp(pr), logSumExp(qr)
		for j := range pr {
			a, b := float64(pr[j])-lsp, float64(qr[j])-lsq
			lp[t*V+j], lq[t*V+j] = a, b
			kl[t] += math.Exp(a) * (a - b)
		}
		sum += kl[t]
	}
	y.Data[0] = float32(sum / float64(m))
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		g := float64(y.Grad[0]) / float64(m)
		for t := 0; t < n; t++ {
			if !counted(t) {
				continue
			}
			for j := 0; j < V; j++ {
				i := t*V + j
				pj := math.Exp(lp[i])
				if q.RequiresGrad() {
					q.Grad[i] += float32(g * (math.Exp(lq[i]) - pj))
				}
				if p.RequiresGrad() {
					p.Grad[i] += float32(g * pj * (lp[i] - lq[i] - kl[t]))
				}
			}
		}
	})
	return y
}
