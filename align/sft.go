package align

import (
	"context"
	"fmt"
	"math/rand/v2"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

// Rows are packed SFT rows: Ids[i], Targets[i] and Segs[i] hold ctx
// positions each. Targets[i][t] is the next token when that token belongs to
// an assistant reply (end of turn included), else -1. Segs[i][t] is the
// index of the example position t belongs to within its row (-1: padding),
// for PackedForward.
type Rows struct {
	Ids, Targets [][]int
	Segs         [][]int32
}

// Pack renders examples with the template and packs them, in order, into
// rows of ctx tokens: an example goes in the current row if it fits, else it
// starts a new row; the tail of a row is padding (id 0, no loss). Segs marks
// the examples, so that PackedForward keeps each one's attention and
// positions to itself (no cross-example attention); the loss covers replies
// only. An example longer than ctx is an error.
func Pack(tok tokenizer.Tokenizer, examples []Example, ctx int) (Rows, error) {
	var r Rows
	var ids, tg []int
	var seg []int32
	flush := func() {
		if len(ids) == 0 {
			return
		}
		for len(ids) < ctx {
			ids, tg, seg = append(ids, 0), append(tg, ignore), append(seg, -1)
		}
		r.Ids, r.Targets, r.Segs = append(r.Ids, ids), append(r.Targets, tg), append(r.Segs, seg)
		ids, tg, seg = nil, nil, nil
	}
	for i, e := range examples {
		p, err := encode(tok, e.Prompt())
		if err != nil {
			return Rows{}, fmt.Errorf("align: example %d: %w", i, err)
		}
		a, err := encode(tok, e.Answer+turnEnd)
		if err != nil {
			return Rows{}, fmt.Errorf("align: example %d: %w", i, err)
		}
		seq := append(p, a...)
		if len(seq) > ctx {
			return Rows{}, fmt.Errorf("align: example %d (%q) has %d tokens, more than the context %d", i, e.User, len(seq), ctx)
		}
		if len(ids)+len(seq) > ctx {
			flush()
		}
		k := int32(0)
		if len(seg) > 0 {
			k = seg[len(seg)-1] + 1
		}
		// Position t predicts seq[t+1]: a target when seq[t+1] is in the reply.
		if len(tg) > 0 {
			tg[len(tg)-1] = ignore // the previous example's last token does not predict this one
		}
		for t := range seq {
			ids, seg = append(ids, seq[t]), append(seg, k)
			if t+1 < len(seq) && t+1 >= len(p) {
				tg = append(tg, seq[t+1])
			} else {
				tg = append(tg, ignore)
			}
		}
	}
	flush()
	return r, nil
}

// SFT fine-tunes m on the examples' replies: each step draws Batch packed
// rows at random, runs them through PackedForward (no attention across
// examples), takes the mean cross-entropy over reply tokens and an AdamW
// step. eval (may be nil) is measured every EvalEvery steps as
// "accuracy" and per-task "acc_<task>"; checkpoints go to OutDir.
func SFT(ctx context.Context, m *train.Model, tok tokenizer.Tokenizer, opts Options, examples, eval []Example) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	rows, err := Pack(tok, examples, m.Config.Ctx)
	if err != nil {
		return nil, err
	}
	if len(rows.Ids) == 0 {
		return nil, fmt.Errorf("align: sft: no training examples")
	}
	T := m.Config.Ctx
	ids, tg, seg := make([]int, opts.Batch*T), make([]int, opts.Batch*T), make([]int32, opts.Batch*T)
	tp := ag.NewTape()
	l := &loop{name: "sft", opts: opts, params: m.Params()}
	l.step = func(_ int, rng *rand.Rand) (stepStats, error) {
		n := 0
		for b := 0; b < opts.Batch; b++ {
			r := rng.IntN(len(rows.Ids))
			copy(ids[b*T:], rows.Ids[r])
			copy(tg[b*T:], rows.Targets[r])
			copy(seg[b*T:], rows.Segs[r])
		}
		for _, t := range tg {
			if t != ignore {
				n++
			}
		}
		tp.Reset()
		loss := ag.CrossEntropy(tp, PackedForward(tp, m, ids, opts.Batch, seg), tg, ignore)
		if err := tp.Backward(loss); err != nil {
			return stepStats{}, fmt.Errorf("align: sft: %w", err)
		}
		return stepStats{Loss: float64(loss.Data[0]), Tokens: len(ids), Extra: map[string]float64{"reply_tokens": float64(n)}}, nil
	}
	if len(eval) > 0 {
		l.eval = func(int) (map[string]float64, error) { return accuracyMetrics(m, tok, eval) }
	}
	l.save = func(step int) error { return SaveModel(opts.OutDir, m, opts.Tokenizer, step) }
	return l.run(ctx)
}

func accuracyMetrics(m *train.Model, tok tokenizer.Tokenizer, eval []Example) (map[string]float64, error) {
	a, err := Evaluate(m, tok, eval)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{"accuracy": a.All}
	for t, v := range a.PerTask {
		out["acc_"+t] = v
	}
	return out, nil
}
