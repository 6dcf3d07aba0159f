package sample

import (
	"fmt"
	"math"
)

// TokenLogProb is one id and its log-probability.
type TokenLogProb struct {
	ID      int
	LogProb float64
}

// StepLogProbs is one generation step's log-probabilities: the chosen id's
// and the most likely alternatives (OpenAI's logprobs and top_logprobs).
type StepLogProbs struct {
	TokenLogProb
	// Top are the len(Top) most likely ids, most likely first (the lower id
	// among equals); the chosen id may be among them.
	Top []TokenLogProb
}

// LogSumExp returns log Σ exp(logits[i]) in float64; -Inf when every logit is
// -Inf.
func LogSumExp(logits []float32) float64 {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = max(mx, float64(v))
	}
	if math.IsInf(mx, 0) || math.IsNaN(mx) {
		return mx
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(sum)
}

// LogProbs returns id's log-probability and the topN most likely ids' under
// the model's raw distribution: the log-softmax of the unprocessed logits
// (before any constraint, bias, penalty, filter or temperature), as OpenAI's
// logprobs report. Computed in float64.
func LogProbs(logits []float32, id, topN int) (StepLogProbs, error) {
	if id < 0 || id >= len(logits) {
		return StepLogProbs{}, fmt.Errorf("sample: id %d outside the vocabulary of %d", id, len(logits))
	}
	if topN < 0 {
		return StepLogProbs{}, fmt.Errorf("sample: negative top-N %d", topN)
	}
	lse := LogSumExp(logits)
	out := StepLogProbs{TokenLogProb: TokenLogProb{ID: id, LogProb: float64(logits[id]) - lse}}
	for _, c := range TopLogits(logits, topN) {
		out.Top = append(out.Top, TokenLogProb{ID: c.ID, LogProb: float64(c.Logit) - lse})
	}
	return out, nil
}

// TopLogits returns the n largest logits (fewer when logits is shorter),
// largest first, the lower id among equals. It scans logits once, keeping a
// sorted list of n, so it suits small n over a large vocabulary.
func TopLogits(logits []float32, n int) []Candidate {
	n = min(n, len(logits))
	if n <= 0 {
		return nil
	}
	top := make([]Candidate, 0, n)
	for i, v := range logits {
		if len(top) == n && !(v > top[n-1].Logit) {
			continue // ids ascend, so an equal logit loses to the kept one
		}
		if len(top) < n {
			top = append(top, Candidate{})
		}
		j := len(top) - 1
		for j > 0 && v > top[j-1].Logit {
			top[j] = top[j-1]
			j--
		}
		top[j] = Candidate{ID: i, Logit: v}
	}
	return top
}
