package align

import (
	"context"
	"fmt"
	"math/rand/v2"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

// PairBatch is a batch of preference pairs laid out for one forward pass:
// 2n right-padded sequences of T tokens, chosen ones first (rows 0..n-1)
// then rejected ones, with targets on the reply tokens only.
type PairBatch struct {
	Ids, Targets []int
	N, T         int
}

// NewPairBatch lays out pairs (see PairBatch); a pair longer than ctx is an error.
func NewPairBatch(tok tokenizer.Tokenizer, pairs []Pair, ctx int) (PairBatch, error) {
	var seqs [][]int
	var prompts []int
	T := 0
	for i := range 2 {
		for k, p := range pairs {
			c, r, np, err := pairIDs(tok, p)
			if err != nil {
				return PairBatch{}, fmt.Errorf("align: pair %d: %w", k, err)
			}
			s := c
			if i == 1 {
				s = r
			}
			if len(s) > ctx {
				return PairBatch{}, fmt.Errorf("align: pair %d has %d tokens, more than the context %d", k, len(s), ctx)
			}
			seqs, prompts = append(seqs, s), append(prompts, np)
			T = max(T, len(s))
		}
	}
	b := PairBatch{Ids: make([]int, len(seqs)*T), Targets: make([]int, len(seqs)*T), N: len(pairs), T: T}
	for i, s := range seqs {
		copy(b.Ids[i*T:], s)
		for t := 0; t < T; t++ {
			b.Targets[i*T+t] = ignore
			if t+1 < len(s) && t+1 >= prompts[i] {
				b.Targets[i*T+t] = s[t+1]
			}
		}
	}
	return b, nil
}

// LogProbs returns log π(reply) [2n, 1] of the batch's sequences under m
// (chosen first), recorded on tp (nil: not recorded).
func (b PairBatch) LogProbs(tp *ag.Tape, m *train.Model) *ag.Var {
	return ag.SequenceLogProb(tp, m.Forward(tp, b.Ids, 2*b.N), b.Targets, 2*b.N, ignore)
}

// DPOLoss returns the DPO loss of policy on the batch against the
// reference's log-probabilities refLP ([2n, 1], chosen first), plus alpha
// times the mean cross-entropy of the chosen replies (RPO, Pang et al. 2024:
// keeps the chosen replies likely; 0 is plain DPO), and the mean implicit
// reward margin β·[(Δ chosen) − (Δ rejected)] with Δ = log π − log π_ref.
func DPOLoss(tp *ag.Tape, policy *train.Model, b PairBatch, refLP *ag.Var, beta, alpha float32) (loss *ag.Var, margin float64) {
	logits := policy.Forward(tp, b.Ids, 2*b.N)
	lp := ag.SequenceLogProb(tp, logits, b.Targets, 2*b.N, ignore)
	n := b.N
	ci, ri := make([]int, n), make([]int, n)
	for i := range ci {
		ci[i], ri[i] = i, n+i
	}
	w, l := ag.Embedding(tp, lp, ci), ag.Embedding(tp, lp, ri)
	rw, rl := ag.Embedding(nil, refLP, ci), ag.Embedding(nil, refLP, ri)
	for i := 0; i < n; i++ {
		margin += float64(beta) * float64((w.Data[i]-rw.Data[i])-(l.Data[i]-rl.Data[i])) / float64(n)
	}
	loss = ag.DPO(tp, w, l, rw, rl, beta)
	if alpha != 0 {
		chosen := append([]int(nil), b.Targets...)
		for k := n * b.T; k < len(chosen); k++ {
			chosen[k] = ignore
		}
		loss = ag.Add(tp, loss, ag.Scale(tp, ag.CrossEntropy(tp, logits, chosen, ignore), alpha))
	}
	return loss, margin
}

// DPOOptions are DPO's own settings.
type DPOOptions struct {
	Beta        float64 // β (default 0.1)
	Temperature float64 // sampling temperature of the win-rate evaluation (default 1)
	Alpha       float64 // weight of the chosen replies' cross-entropy (RPO; 0: plain DPO)
}

// DPO tunes policy on preference pairs against ref (frozen; the SFT model):
// Batch random pairs a step, reporting the loss and the implicit reward
// margin; every EvalEvery steps, the win rate against ref and the KL to it
// on eval's prompts (Compare), and the greedy accuracy.
func DPO(ctx context.Context, policy, ref *train.Model, tok tokenizer.Tokenizer, opts Options, do DPOOptions, pairs []Pair, eval []Example) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if do.Beta == 0 {
		do.Beta = 0.1
	}
	if do.Temperature == 0 {
		do.Temperature = 1
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("align: dpo: no training pairs")
	}
	// The reference's log-probabilities of every pair, once.
	type pre struct {
		b   PairBatch
		ref *ag.Var
	}
	all := make([]pre, len(pairs))
	for i, p := range pairs {
		b, err := NewPairBatch(tok, []Pair{p}, policy.Config.Ctx)
		if err != nil {
			return nil, fmt.Errorf("align: dpo: %w", err)
		}
		all[i] = pre{b, b.LogProbs(nil, ref)}
	}
	tp := ag.NewTape()
	l := &loop{name: "dpo", opts: opts, params: policy.Params()}
	l.step = func(_ int, rng *rand.Rand) (stepStats, error) {
		var ps []Pair
		refLP := ag.New(2*opts.Batch, 1, nil)
		idx := make([]int, opts.Batch)
		for i := range idx {
			idx[i] = rng.IntN(len(pairs))
			ps = append(ps, pairs[idx[i]])
		}
		b, err := NewPairBatch(tok, ps, policy.Config.Ctx)
		if err != nil {
			return stepStats{}, err
		}
		for i, k := range idx {
			refLP.Data[i], refLP.Data[opts.Batch+i] = all[k].ref.Data[0], all[k].ref.Data[1]
		}
		tp.Reset()
		loss, margin := DPOLoss(tp, policy, b, refLP, float32(do.Beta), float32(do.Alpha))
		if err := tp.Backward(loss); err != nil {
			return stepStats{}, fmt.Errorf("align: dpo: %w", err)
		}
		return stepStats{Loss: float64(loss.Data[0]), Tokens: len(b.Ids), Extra: map[string]float64{"margin": margin}}, nil
	}
	if len(eval) > 0 {
		l.eval = func(step int) (map[string]float64, error) {
			return preferenceMetrics(policy, ref, tok, eval, do.Temperature, opts.Seed)
		}
	}
	l.save = func(step int) error { return SaveModel(opts.OutDir, policy, opts.Tokenizer, step) }
	return l.run(ctx)
}

// preferenceMetrics are the win rate, KL and accuracies of policy against ref.
func preferenceMetrics(policy, ref *train.Model, tok tokenizer.Tokenizer, eval []Example, temperature float64, seed uint64) (map[string]float64, error) {
	ws, err := Compare(policy, ref, tok, eval, temperature, seed)
	if err != nil {
		return nil, err
	}
	acc, err := Evaluate(policy, tok, eval)
	if err != nil {
		return nil, err
	}
	return map[string]float64{"win_rate": ws.WinRate, "kl": ws.KL, "sampled_ok": ws.PolicyOK, "ref_sampled_ok": ws.RefOK, "accuracy": acc.All}, nil
}

// SampledPairs returns preference pairs whose rejected reply is the
// reference model's own mistake: for each example it samples `tries`
// replies from ref at the temperature (seeded) and pairs the right answer
// (chosen) with the first wrong sample; when every sample is right it falls
// back to a Wrong perturbation. DPO on the policy's own errors moves
// probability away from what the model actually says.
func SampledPairs(ref *train.Model, tok tokenizer.Tokenizer, examples []Example, tries int, temperature float64, seed uint64) ([]Pair, error) {
	eot, err := encode(tok, turnEnd)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5a))
	s, err := sampler(temperature, rng)
	if err != nil {
		return nil, err
	}
	out := make([]Pair, 0, len(examples))
	for _, e := range examples {
		p, err := encode(tok, e.Prompt())
		if err != nil {
			return nil, err
		}
		rs, err := sampleGroup(ref, p, max(tries, 1), eot[0], maxReply, s)
		if err != nil {
			return nil, err
		}
		rejected := ""
		for _, r := range rs {
			if len(r) > 0 && r[len(r)-1] == eot[0] {
				r = r[:len(r)-1]
			} else {
				continue // no end of turn: not a whole reply
			}
			if text := reply(tok, r); !e.Judge(text) && text != "\x00" {
				rejected = text
				break
			}
		}
		if rejected == "" {
			rejected = Wrong(rng, e)
		}
		out = append(out, Pair{e, e.Answer, rejected})
	}
	return out, nil
}

// JudgedPairs returns preference pairs made of the reference's own replies,
// labelled by the judge as in RLHF's comparisons of model samples: for each
// example it samples `tries` replies from ref at the temperature (seeded)
// and pairs a right one (chosen) with a wrong one (rejected); examples
// whose samples are all right or all wrong give no pair. No demonstration
// enters the pairs, only the judge's verdicts on the model's samples.
func JudgedPairs(ref *train.Model, tok tokenizer.Tokenizer, examples []Example, tries int, temperature float64, seed uint64) ([]Pair, error) {
	eot, err := encode(tok, turnEnd)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x1d))
	s, err := sampler(temperature, rng)
	if err != nil {
		return nil, err
	}
	var out []Pair
	for _, e := range examples {
		p, err := encode(tok, e.Prompt())
		if err != nil {
			return nil, err
		}
		rs, err := sampleGroup(ref, p, max(tries, 2), eot[0], maxReply, s)
		if err != nil {
			return nil, err
		}
		right, wrong := "", ""
		for _, r := range rs {
			if len(r) == 0 || r[len(r)-1] != eot[0] {
				continue // no end of turn: not a whole reply
			}
			text := reply(tok, r[:len(r)-1])
			switch {
			case text == "\x00":
			case e.Judge(text):
				right = text
			case wrong == "":
				wrong = text
			}
		}
		if right != "" && wrong != "" {
			out = append(out, Pair{e, right, wrong})
		}
	}
	return out, nil
}
