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

// Seq is one tokenized example for Pack: Ids and, for every token, whether
// it is a target (Loss[t]: position t-1 predicts Ids[t] with a loss; the
// assistant's reply and its end of turn).
type Seq struct {
	Ids  []int
	Loss []bool
}

// Pack renders examples with the template and packs them (PackSeqs), in
// order, into rows of ctx tokens; the loss covers the replies (end of turn
// included) only. An example longer than ctx is an error.
func Pack(tok tokenizer.Tokenizer, examples []Example, ctx int) (Rows, error) {
	seqs := make([]Seq, len(examples))
	for i, e := range examples {
		p, err := encode(tok, e.Prompt())
		if err != nil {
			return Rows{}, fmt.Errorf("align: example %d: %w", i, err)
		}
		a, err := encode(tok, e.Answer+turnEnd)
		if err != nil {
			return Rows{}, fmt.Errorf("align: example %d: %w", i, err)
		}
		if len(p)+len(a) > ctx {
			return Rows{}, fmt.Errorf("align: example %d (%q) has %d tokens, more than the context %d", i, e.User, len(p)+len(a), ctx)
		}
		seqs[i] = Seq{Ids: append(p, a...), Loss: make([]bool, len(p)+len(a))}
		for t := len(p); t < len(seqs[i].Loss); t++ {
			seqs[i].Loss[t] = true
		}
	}
	return PackSeqs(seqs, ctx)
}

// PackSeqs packs tokenized examples, in order, into rows of ctx tokens: an
// example goes in the current row if it fits, else it starts a new row; the
// tail of a row is padding (id 0, no loss). Segs marks the examples, so
// that PackedForward keeps each one's attention and positions to itself (no
// cross-example attention). Position t of an example targets Ids[t+1] when
// Loss[t+1]; an example's first token is never a target (nothing in its own
// segment predicts it). An example longer than ctx, or with len(Loss) ≠
// len(Ids), is an error.
func PackSeqs(seqs []Seq, ctx int) (Rows, error) {
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
	for i, s := range seqs {
		if len(s.Loss) != len(s.Ids) {
			return Rows{}, fmt.Errorf("align: example %d has %d ids and %d loss flags", i, len(s.Ids), len(s.Loss))
		}
		if len(s.Ids) > ctx {
			return Rows{}, fmt.Errorf("align: example %d has %d tokens, more than the context %d", i, len(s.Ids), ctx)
		}
		if len(s.Ids) == 0 {
			continue
		}
		if len(ids)+len(s.Ids) > ctx {
			flush()
		}
		k := int32(0)
		if len(seg) > 0 {
			k = seg[len(seg)-1] + 1
		}
		// Position t predicts s.Ids[t+1]: a target when that token has a loss.
		for t := range s.Ids {
			ids, seg = append(ids, s.Ids[t]), append(seg, k)
			if t+1 < len(s.Ids) && s.Loss[t+1] {
				tg = append(tg, s.Ids[t+1])
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
// step. The greedy replies to evalSet (may be empty) are measured every
// EvalEvery steps as "accuracy" and per-task "acc_<task>"; checkpoints go
// to OutDir.
func SFT(ctx context.Context, m *train.Model, tok tokenizer.Tokenizer, opts Options, examples, evalSet []Example) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	rows, err := Pack(tok, examples, m.Config.Ctx)
	if err != nil {
		return nil, err
	}
	var eval func(int) (map[string]float64, error)
	if len(evalSet) > 0 {
		eval = func(int) (map[string]float64, error) { return accuracyMetrics(m, tok, evalSet) }
	}
	return sftRows(ctx, m, opts, rows, eval)
}

// sftRows runs SFT's optimizer steps on packed rows (of T ≤ m's context
// tokens each): each step draws opts.Batch rows at random, runs them
// through PackedForward, takes the mean cross-entropy over the reply tokens
// and an AdamW step. eval (may be nil) is measured every EvalEvery steps;
// checkpoints go to OutDir. opts has its defaults.
func sftRows(ctx context.Context, m *train.Model, opts Options, rows Rows, eval func(int) (map[string]float64, error)) (*Result, error) {
	if len(rows.Ids) == 0 {
		return nil, fmt.Errorf("align: sft: no training examples")
	}
	T := len(rows.Ids[0])
	ids, tg, seg := make([]int, opts.Batch*T), make([]int, opts.Batch*T), make([]int32, opts.Batch*T)
	tp := ag.NewTape()
	l := &loop{name: "sft", opts: opts, params: m.Params(), eval: eval}
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
