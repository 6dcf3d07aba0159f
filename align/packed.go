package align

import (
	"fmt"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/train"
)

// PackedForward returns m's logits [batch·T, vocab] of packed rows: batch
// rows of T = len(ids)/batch tokens, where seg (one id per token) marks the
// examples packed one after another in a row (a run of equal ids is one
// example). Each example sees only itself: attention is block-diagonal
// causal (autograd.AttentionSegments) and positions restart at 0 at every
// example (autograd.SegmentPositions, for RoPE or GPT-2's learned
// positions), so an example's logits are those it gets alone, up to
// float32 rounding (TestPackedForwardEqualsAlone). The network is the one
// definition every path runs (train.Model.ForwardRows → model/llama's
// Logits) with those positions and that attention. Same preconditions as
// train.Model.Forward.
func PackedForward(tp *ag.Tape, m *train.Model, ids []int, batch int, seg []int32) *ag.Var {
	c := m.Config
	T := len(ids) / batch
	if batch <= 0 || T*batch != len(ids) || T > c.Ctx || len(seg) != len(ids) {
		panic(fmt.Sprintf("align: packed forward of %d ids in %d rows with %d segment ids (context %d)", len(ids), batch, len(seg), c.Ctx))
	}
	scale := ag.DefaultScale(c.HeadDim())
	return m.ForwardRows(tp, train.Rows{
		IDs:   ids,
		Batch: batch,
		Pos:   ag.SegmentPositions(seg, T),
		Attention: func(tp *ag.Tape, q, k, v *ag.Var) *ag.Var {
			return ag.AttentionSegments(tp, q, k, v, batch, c.Heads, c.KVHeads, scale, seg)
		},
	})
}
