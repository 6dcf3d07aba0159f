package align

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

// GRPOOptions are GRPO's own settings.
type GRPOOptions struct {
	Group       int     // samples per prompt, G (default 8)
	Beta        float64 // weight of the KL penalty to the reference (default 0.04, DeepSeekMath's)
	Clip        float64 // ε of the clipped ratio (default 0.2)
	Iterations  int     // policy updates per batch of samples, μ (default 1: ratio 1, clipping idle)
	Temperature float64 // sampling temperature of rollouts and of the win-rate evaluation (default 1)
	// ExactKL replaces the k3 estimate of the KL penalty (one sampled token
	// per position) by the exact KL(π‖π_ref) over the vocabulary at every
	// reply position (autograd.KLMasked: prompt and padding positions never
	// count), averaged over the batch's reply tokens and weighted by Beta.
	ExactKL bool
	// Reward scores one reply to an example; nil: the programmatic reward
	// Example.Score (1 right, else partial credit below 0.5).
	Reward func(e Example, reply string) float64
}

// RewardModelScorer returns a GRPOOptions.Reward that scores a rendered turn
// with the reward model.
func RewardModelScorer(r *RewardModel, tok tokenizer.Tokenizer) func(Example, string) float64 {
	return func(e Example, reply string) float64 {
		ids, err := encode(tok, Render(e.User, reply))
		if err != nil || len(ids) > r.Trunk.Config.Ctx {
			return math.Inf(-1)
		}
		return float64(r.Score(nil, [][]int{ids}).Data[0])
	}
}

// sampleGroup draws g replies to prompt from m in one batch; a reply ends
// with eot (included) or after maxNew tokens.
func sampleGroup(m *train.Model, prompt []int, g, eot, maxNew int, s *sample.Sampler) ([][]int, error) {
	seqs := make([][]int, g)
	done := make([]bool, g)
	for i := range seqs {
		seqs[i] = append([]int(nil), prompt...)
	}
	for n := 0; n < maxNew && len(seqs[0]) < m.Config.Ctx; n++ {
		T := len(seqs[0])
		ids := make([]int, 0, g*T)
		for _, s := range seqs {
			ids = append(ids, s...)
		}
		logits := m.Forward(nil, ids, g)
		all := true
		for i := range seqs {
			id := eot
			if !done[i] {
				var err error
				if id, err = s.Sample(logits.Row(i*T + T - 1)); err != nil {
					return nil, fmt.Errorf("align: sampling: %w", err)
				}
			}
			seqs[i] = append(seqs[i], id)
			if !done[i] && id == eot {
				done[i] = true
			}
			all = all && done[i]
		}
		if all {
			break
		}
	}
	out := make([][]int, g)
	for i, s := range seqs {
		r := s[len(prompt):]
		for k, id := range r {
			if id == eot {
				r = r[:k+1]
				break
			}
		}
		out[i] = r
	}
	return out, nil
}

// GroupAdvantages returns (r − mean)/(std + 1e-4) within the group, the
// population std as in DeepSeekMath; a group whose rewards are all equal
// gets zeros.
func GroupAdvantages(r []float64) []float64 {
	var mean, v float64
	for _, x := range r {
		mean += x / float64(len(r))
	}
	for _, x := range r {
		v += (x - mean) * (x - mean) / float64(len(r))
	}
	a := make([]float64, len(r))
	if v == 0 {
		return a
	}
	sd := math.Sqrt(v)
	for i, x := range r {
		a[i] = (x - mean) / (sd + 1e-4)
	}
	return a
}

// GRPOCoefficients returns d loss / d log π(token) of the GRPO objective
//
//	loss = −(1/N) Σ_i (1/|o_i|) Σ_t [min(ρA_i, clip(ρ, 1−ε, 1+ε)A_i) − β·KL_t]
//	ρ = exp(lp − old)   KL_t = exp(ref − lp) − (ref − lp) − 1   (k3)
//
// per token, with the loss value: lp, old, ref are per-token log-probs,
// seq[k] the sequence of token k (−1: not a reply token), length[i] = |o_i|.
// The gradient through min/clip is ρA where the unclipped term is the
// minimum, else 0; through KL it is β(1 − exp(ref − lp)).
func GRPOCoefficients(lp, old, ref []float32, seq []int, adv []float64, length []int, beta, eps float64) (coef []float32, loss, kl float64) {
	coef = make([]float32, len(lp))
	n := float64(len(adv))
	ntok := 0
	for k, i := range seq {
		if i < 0 {
			continue
		}
		w := 1 / (n * float64(length[i]))
		rho := math.Exp(float64(lp[k] - old[k]))
		a := adv[i]
		unclipped, clipped := rho*a, math.Max(1-eps, math.Min(rho, 1+eps))*a
		obj, g := clipped, 0.0
		if unclipped <= clipped {
			obj, g = unclipped, rho*a
		}
		d := float64(ref[k] - lp[k])
		klt := math.Exp(d) - d - 1
		loss += -w * (obj - beta*klt)
		coef[k] = float32(w * (-g + beta*(1-math.Exp(d))))
		kl += klt
		ntok++
	}
	if ntok > 0 {
		kl /= float64(ntok)
	}
	return coef, loss, kl
}

// tokenLogProbs returns log π(targets[k]) for every row k (0 where ignored)
// as [rows, 1], recorded on tp.
func tokenLogProbs(tp *ag.Tape, m *train.Model, ids, targets []int, batch int) *ag.Var {
	logits := m.Forward(tp, ids, batch)
	return ag.SequenceLogProb(tp, logits, targets, logits.Rows, ignore)
}

// GRPO tunes policy on-policy: each step draws Batch prompts from examples,
// samples Group replies to each, scores them (do.Reward), and takes
// Iterations AdamW steps on the GRPO objective (GRPOCoefficients) with the
// KL penalty to ref (frozen). Every EvalEvery steps it measures on eval the
// win rate against ref, the KL to it, the greedy accuracy and the mean
// reward of sampled replies.
func GRPO(ctx context.Context, policy, ref *train.Model, tok tokenizer.Tokenizer, opts Options, gop GRPOOptions, examples, eval []Example) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if gop.Group == 0 {
		gop.Group = 8
	}
	if gop.Beta == 0 {
		gop.Beta = 0.04
	}
	if gop.Clip == 0 {
		gop.Clip = 0.2
	}
	if gop.Iterations == 0 {
		gop.Iterations = 1
	}
	if gop.Temperature == 0 {
		gop.Temperature = 1
	}
	if gop.Reward == nil {
		gop.Reward = func(e Example, reply string) float64 { return e.Score(reply) }
	}
	if len(examples) == 0 || gop.Group < 2 || gop.Iterations < 0 || gop.Beta < 0 || gop.Clip < 0 {
		return nil, fmt.Errorf("align: rl: %d prompts, group %d, iterations %d, beta %g, clip %g: want prompts, group ≥ 2, the rest ≥ 0",
			len(examples), gop.Group, gop.Iterations, gop.Beta, gop.Clip)
	}
	eotIDs, err := encode(tok, turnEnd)
	if err != nil {
		return nil, err
	}
	eot := eotIDs[0]
	var s *sample.Sampler
	tp := ag.NewTape()
	l := &loop{name: "rl", opts: opts, params: policy.Params()}
	l.step = func(step int, rng *rand.Rand) (stepStats, error) {
		if s == nil {
			var err error
			if s, err = sampler(gop.Temperature, rng); err != nil {
				return stepStats{}, err
			}
		}
		var seqs [][]int
		var prompts []int
		var adv, rewards []float64
		right := 0.0
		for b := 0; b < opts.Batch; b++ {
			e := examples[rng.IntN(len(examples))]
			p, err := encode(tok, e.Prompt())
			if err != nil {
				return stepStats{}, err
			}
			rs, err := sampleGroup(policy, p, gop.Group, eot, maxReply+1, s)
			if err != nil {
				return stepStats{}, err
			}
			r := make([]float64, len(rs))
			for i, o := range rs {
				text := o
				if len(text) > 0 && text[len(text)-1] == eot {
					text = text[:len(text)-1]
				}
				rep := reply(tok, text)
				r[i] = gop.Reward(e, rep)
				if e.Judge(rep) {
					right++
				}
				seqs, prompts = append(seqs, append(append([]int(nil), p...), o...)), append(prompts, len(p))
			}
			rewards = append(rewards, r...)
			adv = append(adv, GroupAdvantages(r)...)
		}
		// One right-padded batch of all samples; targets on reply tokens.
		T := 0
		for _, q := range seqs {
			T = max(T, len(q))
		}
		ids, tg, seq := make([]int, len(seqs)*T), make([]int, len(seqs)*T), make([]int, len(seqs)*T)
		length := make([]int, len(seqs))
		for i, q := range seqs {
			copy(ids[i*T:], q)
			for t := 0; t < T; t++ {
				k := i*T + t
				tg[k], seq[k] = ignore, -1
				if t+1 < len(q) && t+1 >= prompts[i] {
					tg[k], seq[k] = q[t+1], i
					length[i]++
				}
			}
		}
		old := tokenLogProbs(nil, policy, ids, tg, len(seqs)).Data
		refLogits := ref.Forward(nil, ids, len(seqs))
		refLP := ag.SequenceLogProb(nil, refLogits, tg, refLogits.Rows, ignore).Data
		k3Beta, reply := gop.Beta, make([]bool, len(seq))
		if gop.ExactKL {
			k3Beta = 0
			for k, i := range seq {
				reply[k] = i >= 0
			}
		}
		var loss, kl float64
		for it := 0; it < gop.Iterations; it++ {
			if it > 0 {
				// Apply the previous iteration's gradient; the loop applies the last.
				if _, err := l.update(step); err != nil {
					return stepStats{}, err
				}
			}
			tp.Reset()
			logits := policy.Forward(tp, ids, len(seqs))
			lp := ag.SequenceLogProb(tp, logits, tg, logits.Rows, ignore)
			coef, lv, klv := GRPOCoefficients(lp.Data, old, refLP, seq, adv, length, k3Beta, gop.Clip)
			sur := ag.MatMul(tp, ag.Reshape(lp, 1, len(coef)), ag.New(1, len(coef), coef), nil)
			if gop.ExactKL {
				// β·KL(π‖π_ref) over reply positions only.
				kx := ag.KLMasked(tp, logits, refLogits, reply)
				sur = ag.Add(tp, sur, ag.Scale(tp, kx, float32(gop.Beta)))
				lv += gop.Beta * float64(kx.Data[0])
				klv = float64(kx.Data[0])
			}
			if err := tp.Backward(sur); err != nil {
				return stepStats{}, fmt.Errorf("align: rl: %w", err)
			}
			loss, kl = lv, klv
		}
		mean := 0.0
		for _, r := range rewards {
			mean += r / float64(len(rewards))
		}
		return stepStats{Loss: loss, Tokens: len(ids), Extra: map[string]float64{
			"reward": mean, "kl": kl, "sampled_ok": right / float64(len(rewards))}}, nil
	}
	if len(eval) > 0 {
		l.eval = func(step int) (map[string]float64, error) {
			ev, err := preferenceMetrics(policy, ref, tok, eval, gop.Temperature, opts.Seed)
			if err != nil {
				return nil, err
			}
			return ev, nil
		}
	}
	l.save = func(step int) error { return SaveModel(opts.OutDir, policy, opts.Tokenizer, step) }
	return l.run(ctx)
}
