package align

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/checkpoint"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

// RewardModel is a language model trunk with two scalar heads: a linear
// head on the final normed hidden state of a sequence's last token, and a
// weight on the trunk's own log-likelihood of the reply,
//
//	r = Head·h_last + Bias + LogProb·Σ_{t ∈ reply} log π_trunk(y_t | x, y_<t)
//
// The second head is there because the first one learns slowly on small
// trunks: the last token is the end of turn, whose hidden state SFT never
// trained to mean anything, while the trunk's next-token predictions over
// the reply already tell a right answer from a near miss (the SFT model's
// log-likelihood alone ranks 99% of held-out pairs right; a last-token head
// reached 0.64-0.74 in 600 steps). Both heads start at zero and are trained
// together with the trunk by the Bradley-Terry loss.
type RewardModel struct {
	Trunk *train.Model
	Head  *ag.Var // [1, dim]
	Bias  *ag.Var // [1, 1]
	// LogProb weighs the reply's log-likelihood under the trunk, [1, 1];
	// nil (a checkpoint without it) is the last-token head alone.
	LogProb *ag.Var
}

// NewRewardModel returns a reward model whose trunk is a copy of base (the
// SFT model, as InstructGPT starts its reward model) and whose heads are zero.
func NewRewardModel(base *train.Model) *RewardModel {
	return &RewardModel{Trunk: Clone(base), Head: ag.Param(1, base.Config.Dim, nil), Bias: ag.Param(1, 1, nil),
		LogProb: ag.Param(1, 1, nil)}
}

// Params are the trunk's and the heads' trainable values.
func (r *RewardModel) Params() []*ag.Var {
	ps := append(append([]*ag.Var(nil), r.Trunk.Params()...), r.Head, r.Bias)
	if r.LogProb != nil {
		ps = append(ps, r.LogProb)
	}
	return ps
}

// replyStart returns where the reply of a rendered turn begins: after the
// first end of turn (the prompt's "\n", Template) and "A:"; len(s) when s
// has none (no reply tokens).
func replyStart(s []int) int {
	for t, id := range s {
		if id == eotID {
			return min(t+len(asstPrefix), len(s))
		}
	}
	return len(s)
}

// eotID is the id of the end-of-turn character in Tokenizer's vocabulary.
var eotID = strings.IndexByte(Alphabet, turnEnd[0])

// Score returns the rewards [n, 1] of n token sequences (each non-empty and
// at most Ctx long), conversations rendered with Render. They are
// right-padded to one length and run as one batch; the causal mask keeps
// padding out of each last real token's state and of the reply's
// log-likelihood.
func (r *RewardModel) Score(tp *ag.Tape, seqs [][]int) *ag.Var {
	T := 0
	for _, s := range seqs {
		T = max(T, len(s))
	}
	ids := make([]int, len(seqs)*T)
	last := make([]int, len(seqs))
	for i, s := range seqs {
		copy(ids[i*T:], s)
		last[i] = i*T + len(s) - 1
	}
	h := Hidden(tp, r.Trunk, ids, len(seqs))                          // [n·T, dim]
	score := ag.MatMul(tp, ag.Embedding(tp, h, last), r.Head, r.Bias) // [n, 1]
	if r.LogProb == nil {
		return score
	}
	// Targets on the reply tokens (end of turn included): position t
	// predicts s[t+1].
	tg := make([]int, len(ids))
	for i, s := range seqs {
		from := replyStart(s)
		for t := 0; t < T; t++ {
			tg[i*T+t] = ignore
			if t+1 < len(s) && t+1 >= from {
				tg[i*T+t] = s[t+1]
			}
		}
	}
	lp := ag.SequenceLogProb(tp, ag.MatMul(tp, h, r.Trunk.Output, nil), tg, len(seqs), ignore) // [n, 1]
	return ag.Add(tp, score, ag.MatMul(tp, lp, r.LogProb, nil))
}

// pairIDs tokenizes a pair's two rendered conversations.
func pairIDs(tok tokenizer.Tokenizer, p Pair) (chosen, rejected []int, prompt int, err error) {
	pr, err := encode(tok, p.Prompt())
	if err != nil {
		return nil, nil, 0, err
	}
	if chosen, err = encode(tok, Render(p.User, p.Chosen)); err != nil {
		return nil, nil, 0, err
	}
	if rejected, err = encode(tok, Render(p.User, p.Rejected)); err != nil {
		return nil, nil, 0, err
	}
	return chosen, rejected, len(pr), nil
}

// PairAccuracy is the fraction of pairs whose chosen reply scores higher.
func (r *RewardModel) PairAccuracy(tok tokenizer.Tokenizer, pairs []Pair) (float64, error) {
	all, _, err := r.PairAccuracyByTask(tok, pairs)
	return all, err
}

// PairAccuracyByTask is PairAccuracy, overall and per task.
func (r *RewardModel) PairAccuracyByTask(tok tokenizer.Tokenizer, pairs []Pair) (float64, map[string]float64, error) {
	if len(pairs) == 0 {
		return 0, nil, nil
	}
	right, rightBy, totalBy := 0, map[string]int{}, map[string]int{}
	for i := 0; i < len(pairs); i += 32 {
		batch := pairs[i:min(i+32, len(pairs))]
		var seqs [][]int
		for _, p := range batch {
			c, rj, _, err := pairIDs(tok, p)
			if err != nil {
				return 0, nil, err
			}
			seqs = append(seqs, c, rj)
		}
		s := r.Score(nil, seqs)
		for k, p := range batch {
			totalBy[p.Task]++
			if s.Data[2*k] > s.Data[2*k+1] {
				right++
				rightBy[p.Task]++
			}
		}
	}
	by := map[string]float64{}
	for t, n := range totalBy {
		by[t] = float64(rightBy[t]) / float64(n)
	}
	return float64(right) / float64(len(pairs)), by, nil
}

// TrainReward trains r with the Bradley-Terry loss on Batch random pairs a
// step, reporting the step's pairwise accuracy and reward margin, and the
// held-out pairwise accuracy ("pair_accuracy") every EvalEvery steps.
func TrainReward(ctx context.Context, r *RewardModel, tok tokenizer.Tokenizer, opts Options, pairs, eval []Pair) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("align: reward: no training pairs")
	}
	type enc struct{ c, r []int }
	encs := make([]enc, len(pairs))
	for i, p := range pairs {
		c, rj, _, err := pairIDs(tok, p)
		if err != nil {
			return nil, fmt.Errorf("align: reward: pair %d: %w", i, err)
		}
		if len(c) > r.Trunk.Config.Ctx || len(rj) > r.Trunk.Config.Ctx {
			return nil, fmt.Errorf("align: reward: pair %d is longer than the context %d", i, r.Trunk.Config.Ctx)
		}
		encs[i] = enc{c, rj}
	}
	tp := ag.NewTape()
	l := &loop{name: "reward", opts: opts, params: r.Params()}
	l.step = func(_ int, rng *rand.Rand) (stepStats, error) {
		var seqs [][]int
		ntok := 0
		for b := 0; b < opts.Batch; b++ {
			e := encs[rng.IntN(len(encs))]
			seqs = append(seqs, e.c, e.r)
			ntok += len(e.c) + len(e.r)
		}
		tp.Reset()
		s := r.Score(tp, seqs)
		n := opts.Batch
		// Split the interleaved scores with Embedding (a row gather that
		// passes gradients back).
		ci, ri := make([]int, n), make([]int, n)
		for i := range ci {
			ci[i], ri[i] = 2*i, 2*i+1
		}
		chosen, rejected := ag.Embedding(tp, s, ci), ag.Embedding(tp, s, ri)
		loss := ag.BradleyTerry(tp, chosen, rejected)
		if err := tp.Backward(loss); err != nil {
			return stepStats{}, fmt.Errorf("align: reward: %w", err)
		}
		acc, margin := 0.0, 0.0
		for i := 0; i < n; i++ {
			d := float64(chosen.Data[i] - rejected.Data[i])
			margin += d / float64(n)
			if d > 0 {
				acc += 1 / float64(n)
			}
		}
		return stepStats{Loss: float64(loss.Data[0]), Tokens: ntok, Extra: map[string]float64{"acc": acc, "margin": margin}}, nil
	}
	if len(eval) > 0 {
		l.eval = func(int) (map[string]float64, error) {
			a, by, err := r.PairAccuracyByTask(tok, eval)
			out := map[string]float64{"pair_accuracy": a}
			for t, v := range by {
				out["pair_acc_"+t] = v
			}
			return out, err
		}
	}
	l.save = func(step int) error { return r.Save(opts.OutDir, opts.Tokenizer, step) }
	return l.run(ctx)
}

// Names of the reward heads' tensors in the checkpoint.
const (
	headName    = "reward_head.weight"
	biasName    = "reward_head.bias"
	logProbName = "reward_head.logprob_weight"
)

// Save writes the trunk and the heads (as the tensors reward_head.weight
// [1, dim], reward_head.bias [1, 1] and reward_head.logprob_weight [1, 1])
// to dir's checkpoint.
func (r *RewardModel) Save(dir string, spec train.TokenizerSpec, step int) error {
	extra := []checkpoint.Tensor{
		{Name: headName, Shape: []int{1, r.Head.Cols}, Data: r.Head.Data},
		{Name: biasName, Shape: []int{1, 1}, Data: r.Bias.Data}}
	if r.LogProb != nil {
		extra = append(extra, checkpoint.Tensor{Name: logProbName, Shape: []int{1, 1}, Data: r.LogProb.Data})
	}
	return SaveModel(dir, r.Trunk, spec, step, extra...)
}

// LoadRewardModel reads a reward model saved by Save.
func LoadRewardModel(dir string) (*RewardModel, *train.Meta, error) {
	m, meta, err := train.LoadModel(nil, dir)
	if err != nil {
		return nil, nil, err
	}
	ck, err := (train.FileStore{}).Load(dir, nil)
	if err != nil {
		return nil, nil, err
	}
	r := &RewardModel{Trunk: m}
	for _, t := range ck.Tensors {
		switch {
		case t.Name == headName && len(t.Data) == m.Config.Dim:
			r.Head = ag.Param(1, len(t.Data), t.Data)
		case t.Name == biasName && len(t.Data) == 1:
			r.Bias = ag.Param(1, 1, t.Data)
		case t.Name == logProbName && len(t.Data) == 1:
			r.LogProb = ag.Param(1, 1, t.Data)
		}
	}
	if r.Head == nil || r.Bias == nil {
		return nil, nil, fmt.Errorf("align: %s is not a reward model: no %s [1, %d] and %s [1, 1] in its checkpoint", dir, headName, m.Config.Dim, biasName)
	}
	return r, meta, nil
}
