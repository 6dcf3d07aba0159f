package align

import (
	"fmt"
	"math"
	"math/rand/v2"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

// ignore is the target of positions without a loss (prompt, padding).
const ignore = -1

// Tokenizer returns the character tokenizer over Alphabet and its spec for
// checkpoints.
func Tokenizer() (*train.CharTokenizer, train.TokenizerSpec) {
	return train.CharTokenizerOf([]rune(Alphabet)), train.TokenizerSpec{Kind: "chars", Chars: Alphabet}
}

// encode tokenizes s (a rendered task: every character is in the vocabulary
// of tok, else an error).
func encode(tok tokenizer.Tokenizer, s string) ([]int, error) {
	return tok.Encode(s, tokenizer.EncodeOptions{})
}

// Clone returns an independent copy of m (the frozen reference of DPO and
// GRPO, or a reward model's trunk).
func Clone(m *train.Model) *train.Model {
	c, err := train.NewModel(m.Config, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		panic("align: Clone of a built model: " + err.Error()) // m's config was valid
	}
	for i, p := range c.Params() {
		copy(p.Data, m.Params()[i].Data)
	}
	return c
}

// Hidden returns the final normed hidden states [batch·T, dim] of ids, as
// train.Model.Forward computes them before its output matrix (the reward
// head reads them): train.Model.Hidden.
func Hidden(tp *ag.Tape, m *train.Model, ids []int, batch int) *ag.Var {
	return m.Hidden(tp, ids, batch)
}

// Complete generates a reply to prompt (token ids) with m, one token at a
// time from the sampler's choice on the last position's logits, until the
// end-of-turn id or maxNew tokens; the end of turn is not returned. The
// prompt must fit in the context with room for one token.
func Complete(m *train.Model, prompt []int, eot, maxNew int, s *sample.Sampler) ([]int, error) {
	ids := append([]int(nil), prompt...)
	var out []int
	for len(out) < maxNew && len(ids) < m.Config.Ctx {
		logits := m.Forward(nil, ids, 1)
		id, err := s.Sample(logits.Row(len(ids) - 1))
		if err != nil {
			return nil, fmt.Errorf("align: sampling: %w", err)
		}
		if id == eot {
			break
		}
		out = append(out, id)
		ids = append(ids, id)
	}
	return out, nil
}

// greedy returns a temperature-0 sampler.
func greedy() *sample.Sampler {
	s, err := sample.New(sample.Options{})
	if err != nil {
		panic("align: greedy sampler: " + err.Error())
	}
	return s
}

// sampler returns a sampler at temperature t drawing from rng (greedy at 0).
func sampler(t float64, rng *rand.Rand) (*sample.Sampler, error) {
	s, err := sample.New(sample.Options{Temperature: t, Rand: rng})
	if err != nil {
		return nil, fmt.Errorf("align: sampler: %w", err)
	}
	return s, nil
}

// reply decodes a generated reply; ids outside the vocabulary decode to
// "\x00", which no answer equals.
func reply(tok tokenizer.Tokenizer, ids []int) string {
	s, err := tok.Decode(ids, tokenizer.DecodeOptions{})
	if err != nil {
		return "\x00" // never a right answer
	}
	return s
}

// Accuracy is the exact-match accuracy of greedy replies, overall and per task.
type Accuracy struct {
	All     float64            `json:"accuracy"`
	PerTask map[string]float64 `json:"per_task"`
	N       int                `json:"n"`
}

// String is the accuracy in one line.
func (a Accuracy) String() string {
	s := fmt.Sprintf("%.1f%% of %d", 100*a.All, a.N)
	for _, t := range AllTasks {
		if v, ok := a.PerTask[t]; ok {
			s += fmt.Sprintf(" | %s %.1f%%", t, 100*v)
		}
	}
	return s
}

// maxReply bounds generated replies: the longest answer plus slack.
const maxReply = maxWordLen + 3

// Evaluate measures the exact-match accuracy of m's greedy replies on examples.
func Evaluate(m *train.Model, tok tokenizer.Tokenizer, examples []Example) (Accuracy, error) {
	eot, err := encode(tok, turnEnd)
	if err != nil {
		return Accuracy{}, err
	}
	right, total := map[string]int{}, map[string]int{}
	n := 0
	g := greedy()
	for _, e := range examples {
		p, err := encode(tok, e.Prompt())
		if err != nil {
			return Accuracy{}, err
		}
		out, err := Complete(m, p, eot[0], maxReply, g)
		if err != nil {
			return Accuracy{}, err
		}
		total[e.Task]++
		if e.Judge(reply(tok, out)) {
			right[e.Task]++
			n++
		}
	}
	a := Accuracy{PerTask: map[string]float64{}, N: len(examples)}
	if len(examples) > 0 {
		a.All = float64(n) / float64(len(examples))
	}
	for t, c := range total {
		a.PerTask[t] = float64(right[t]) / float64(c)
	}
	return a, nil
}

// WinStats compares a policy with the reference on sampled replies.
type WinStats struct {
	WinRate  float64 `json:"win_rate"`  // P(policy right, reference wrong) + ½·P(tie), sampled at the temperature
	PolicyOK float64 `json:"policy_ok"` // the policy's sampled replies that are right
	RefOK    float64 `json:"ref_ok"`    // the reference's sampled replies that are right
	KL       float64 `json:"kl"`        // mean Σ_t log π(y_t) − log π_ref(y_t) over the policy's replies (nats per reply)
	N        int     `json:"n"`
}

// Compare samples one reply per example from policy and from ref at the
// temperature (seeded), judges both, and estimates KL(π‖π_ref) per reply on
// the policy's samples (end-of-turn token included).
func Compare(policy, ref *train.Model, tok tokenizer.Tokenizer, examples []Example, temperature float64, seed uint64) (WinStats, error) {
	eot, err := encode(tok, turnEnd)
	if err != nil {
		return WinStats{}, err
	}
	rng := rand.New(rand.NewPCG(seed, 0xc0))
	s, err := sampler(temperature, rng)
	if err != nil {
		return WinStats{}, err
	}
	var ws WinStats
	for _, e := range examples {
		p, err := encode(tok, e.Prompt())
		if err != nil {
			return WinStats{}, err
		}
		a, err := Complete(policy, p, eot[0], maxReply, s)
		if err != nil {
			return WinStats{}, err
		}
		b, err := Complete(ref, p, eot[0], maxReply, s)
		if err != nil {
			return WinStats{}, err
		}
		okA, okB := e.Judge(reply(tok, a)), e.Judge(reply(tok, b))
		switch {
		case okA && !okB:
			ws.WinRate++
		case okA == okB:
			ws.WinRate += 0.5
		}
		if okA {
			ws.PolicyOK++
		}
		if okB {
			ws.RefOK++
		}
		full := append(append(p, a...), eot[0])
		if len(full) > policy.Config.Ctx {
			full = full[:policy.Config.Ctx]
		}
		ws.KL += seqLogProb(policy, full, len(p)) - seqLogProb(ref, full, len(p))
		ws.N++
	}
	if ws.N > 0 {
		n := float64(ws.N)
		ws.WinRate, ws.PolicyOK, ws.RefOK, ws.KL = ws.WinRate/n, ws.PolicyOK/n, ws.RefOK/n, ws.KL/n
	}
	return ws, nil
}

// seqLogProb is Σ log π(ids[t]) over t ≥ from (no tape).
func seqLogProb(m *train.Model, ids []int, from int) float64 {
	logits := m.Forward(nil, ids, 1)
	var s float64
	for t := from; t < len(ids); t++ {
		row := logits.Row(t - 1)
		s += float64(row[ids[t]]) - sample.LogSumExp(row)
	}
	return s
}

// finite reports whether x is a number.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
