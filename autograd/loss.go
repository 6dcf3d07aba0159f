package autograd

import (
	"fmt"
	"math"
)

// CrossEntropy returns the mean over counted rows of −log softmax(logits[t])[targets[t]]:
// rows whose target is ignoreIndex are skipped (PyTorch's ignore_index;
// SFT masks prompt tokens this way). With no counted row the loss is 0 and
// so are its gradients (PyTorch gives NaN). The log-sum-exp is taken in
// float64.
//
//	logits: [n, vocab]   targets: [n]   → [1, 1]
//
// Backward: dlogits[t] = dloss · (softmax(logits[t]) − onehot(targets[t])) / count.
func CrossEntropy(tp *Tape, logits *Var, targets []int, ignoreIndex int) *Var {
	n, V := logits.Rows, logits.Cols
	checkTargets("CrossEntropy", logits, targets, ignoreIndex)
	y := tp.result(1, 1, logits)
	lse := make([]float64, n)
	var sum float64
	count := 0
	// the log-sum-exps split over the pool by rows; the sum in row order
	parFor(n, transWork*V, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			if targets[t] != ignoreIndex {
				lse[t] = logSumExp(logits.Data[t*V : (t+1)*V])
			}
		}
	})
	for t, tg := range targets {
		if tg == ignoreIndex {
			continue
		}
		sum += lse[t] - float64(logits.Data[t*V+tg])
		count++
	}
	if count > 0 {
		y.Data[0] = float32(sum / float64(count))
	}
	if y.Grad == nil || count == 0 {
		return y
	}
	tp.record(func() {
		g := float64(y.Grad[0]) / float64(count)
		parFor(n, transWork*V, func(lo, hi int) {
			for t := lo; t < hi; t++ {
				tg := targets[t]
				if tg == ignoreIndex {
					continue
				}
				row, dx := logits.Data[t*V:(t+1)*V], logits.Grad[t*V:(t+1)*V]
				for j, v := range row {
					dx[j] += float32(g * math.Exp(float64(v)-lse[t]))
				}
				dx[tg] -= float32(g)
			}
		})
	})
	return y
}

func checkTargets(op string, logits *Var, targets []int, ignoreIndex int) {
	if len(targets) != logits.Rows {
		panic(fmt.Sprintf("autograd: %s of %v with %d targets", op, logits, len(targets)))
	}
	for t, tg := range targets {
		if tg != ignoreIndex && (tg < 0 || tg >= logits.Cols) {
			panic(fmt.Sprintf("autograd: %s target %d at row %d outside [0, %d)", op, tg, t, logits.Cols))
		}
	}
}

// SequenceLogProb returns, for each of the batch sequences whose T rows
// follow one another in logits, Σ_t log softmax(logits[t])[targets[t]] over
// the rows whose target is not ignoreIndex: the log-probability log π(y|x) of
// a completion that DPO compares (mask the prompt with ignoreIndex).
//
//	logits: [batch·T, vocab]   targets: [batch·T]   → [batch, 1]
//
// Backward: dlogits[t] = dy[b] · (onehot(targets[t]) − softmax(logits[t])).
func SequenceLogProb(tp *Tape, logits *Var, targets []int, batch, ignoreIndex int) *Var {
	checkTargets("SequenceLogProb", logits, targets, ignoreIndex)
	if batch <= 0 || logits.Rows%batch != 0 {
		panic(fmt.Sprintf("autograd: SequenceLogProb of %v in %d sequences", logits, batch))
	}
	V, T := logits.Cols, logits.Rows/batch
	y := tp.result(batch, 1, logits)
	lse := make([]float64, logits.Rows)
	for b := 0; b < batch; b++ {
		var s float64
		for t := b * T; t < (b+1)*T; t++ {
			if tg := targets[t]; tg != ignoreIndex {
				row := logits.Data[t*V : (t+1)*V]
				lse[t] = logSumExp(row)
				s += float64(row[tg]) - lse[t]
			}
		}
		y.Data[b] = float32(s)
	}
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		for t, tg := range targets {
			if tg == ignoreIndex {
				continue
			}
			g := float64(y.Grad[t/T])
			row, dx := logits.Data[t*V:(t+1)*V], logits.Grad[t*V:(t+1)*V]
			for j, v := range row {
				dx[j] -= float32(g * math.Exp(float64(v)-lse[t]))
			}
			dx[tg] += float32(g)
		}
	})
	return y
}

// KL returns the mean over rows of the Kullback-Leibler divergence
// KL(P‖Q) = Σ_j P_j·(log P_j − log Q_j) between P = softmax(p[t]) and
// Q = softmax(q[t]): distillation (P the teacher) and the RL penalty
// KL(π‖π_ref) (P the policy). Both inputs may carry gradients:
//
//	dq[t] = (Q − P)/n   dp[t] = P ⊙ (log P − log Q − KL_t)/n
//	p, q: [n, vocab]   → [1, 1]
func KL(tp *Tape, p, q *Var) *Var {
	sameShape("KL", p, q)
	return klRows(tp, p, q, nil)
}

// BradleyTerry returns the mean over pairs of −log σ(chosen − rejected), the
// pairwise loss of a reward model under the Bradley-Terry preference model
// (Bradley & Terry 1952; Ouyang et al. 2022):
//
//	chosen, rejected: [n, 1] rewards   → [1, 1]
//
// Backward: dchosen = −dloss·σ(rejected − chosen)/n = −drejected.
func BradleyTerry(tp *Tape, chosen, rejected *Var) *Var {
	return pairLoss(tp, "BradleyTerry", 1, chosen, rejected, nil, nil)
}

// DPO returns the mean over pairs of the Direct Preference Optimization loss
// (Rafailov et al. 2023)
//
//	−log σ(β·[(logπ(y_w) − logπ_ref(y_w)) − (logπ(y_l) − logπ_ref(y_l))])
//
// from the sequence log-probabilities (SequenceLogProb) of the chosen (w)
// and rejected (l) completions under the policy and the frozen reference.
//
//	policyW, policyL, refW, refL: [n, 1]   → [1, 1]
func DPO(tp *Tape, policyW, policyL, refW, refL *Var, beta float32) *Var {
	return pairLoss(tp, "DPO", beta, policyW, policyL, refW, refL)
}

// pairLoss is mean −log σ(β·[(a − ra) − (b − rb)]), with ra, rb optional.
func pairLoss(tp *Tape, op string, beta float32, a, b, ra, rb *Var) *Var {
	n := a.Rows
	for _, v := range []*Var{a, b, ra, rb} {
		if v != nil && (v.Rows != n || v.Cols != 1) {
			panic(fmt.Sprintf("autograd: %s inputs %v %v %v %v: want [n, 1] each", op, a, b, ra, rb))
		}
	}
	ins := []*Var{a, b}
	if ra != nil {
		ins = append(ins, ra, rb)
	}
	y := tp.result(1, 1, ins...)
	if n == 0 {
		return y
	}
	z := make([]float64, n)
	var sum float64
	for i := 0; i < n; i++ {
		d := float64(a.Data[i]) - float64(b.Data[i])
		if ra != nil {
			d -= float64(ra.Data[i]) - float64(rb.Data[i])
		}
		z[i] = float64(beta) * d
		sum += softplus(-z[i])
	}
	y.Data[0] = float32(sum / float64(n))
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		g := float64(y.Grad[0]) / float64(n)
		for i := 0; i < n; i++ {
			// d/dz −log σ(z) = −σ(−z); dz/da = β = −dz/db = −dz/dra = dz/drb
			dz := float32(-g * sigmoid(-z[i]) * float64(beta))
			for _, u := range []struct {
				v    *Var
				sign float32
			}{{a, 1}, {b, -1}, {ra, -1}, {rb, 1}} {
				if u.v.RequiresGrad() {
					u.v.Grad[i] += u.sign * dz
				}
			}
		}
	})
	return y
}
