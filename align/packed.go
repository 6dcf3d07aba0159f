package align

import (
	"fmt"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/train"
)

// PackedForward returns m's logits [batch·T, vocab] of packed rows: batch
// rows of T = len(ids)/batch tokens, where seg (one id per token) marks the
// examples packed one after another in a row (a run of equal ids is one
// example). Each example sees only itself: attention is block-diagonal
// causal (autograd.AttentionSegments) and positions restart at 0 at every
// example (autograd.SegmentPositions, for RoPE or GPT-2's learned
// positions), so an example's logits are those it gets alone, up to
// float32 rounding (TestPackedForwardEqualsAlone).
//
// It is train.Model.Hidden's layer sequence with those two changes (train
// owns the model; its Hidden always counts positions from each row's start
// and attends across the whole row). Same preconditions as Forward.
func PackedForward(tp *ag.Tape, m *train.Model, ids []int, batch int, seg []int32) *ag.Var {
	return ag.MatMul(tp, packedHidden(tp, m, ids, batch, seg), m.Output, nil)
}

// packedHidden is PackedForward without the output matrix.
func packedHidden(tp *ag.Tape, m *train.Model, ids []int, batch int, seg []int32) *ag.Var {
	c := m.Config
	T := len(ids) / batch
	if batch <= 0 || T*batch != len(ids) || T > c.Ctx || len(seg) != len(ids) {
		panic(fmt.Sprintf("align: packed forward of %d ids in %d rows with %d segment ids (context %d)", len(ids), batch, len(seg), c.Ctx))
	}
	pos := ag.SegmentPositions(seg, T)
	gpt2 := c.Arch == train.ArchGPT2
	hd := c.HeadDim()
	x := ag.Embedding(tp, m.TokEmbd, ids) // [batch·T, dim]
	if gpt2 {
		x = ag.Add(tp, x, ag.Embedding(tp, m.PosEmbd, pos))
	}
	norm := func(x, w, b *ag.Var) *ag.Var {
		if gpt2 {
			return ag.LayerNorm(tp, x, w, b, c.Eps)
		}
		return ag.RMSNorm(tp, x, w, c.Eps)
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		h := norm(x, l.AttnNorm, l.AttnNormB)
		q := ag.MatMul(tp, h, l.Query, l.QueryB) // [batch·T, heads·hd]
		k := ag.MatMul(tp, h, l.Key, l.KeyB)     // [batch·T, kvHeads·hd]
		v := ag.MatMul(tp, h, l.Value, l.ValueB) // [batch·T, kvHeads·hd]
		if !gpt2 {
			q = ag.RoPE(tp, q, pos, c.Heads, hd, c.RoPE, 1, kernels.RoPENormal)
			k = ag.RoPE(tp, k, pos, c.KVHeads, hd, c.RoPE, 1, kernels.RoPENormal)
		}
		a := ag.AttentionSegments(tp, q, k, v, batch, c.Heads, c.KVHeads, ag.DefaultScale(hd), seg)
		x = ag.Add(tp, x, ag.MatMul(tp, a, l.AttnOut, l.AttnOutB))
		h = norm(x, l.FFNNorm, l.FFNNormB)
		if gpt2 {
			x = ag.Add(tp, x, ag.MatMul(tp, ag.GELU(tp, ag.MatMul(tp, h, l.Fc, l.FcB)), l.Proj, l.ProjB))
		} else {
			g := ag.SwiGLU(tp, ag.MatMul(tp, h, l.Gate, nil), ag.MatMul(tp, h, l.Up, nil))
			x = ag.Add(tp, x, ag.MatMul(tp, g, l.Down, nil))
		}
	}
	return norm(x, m.OutNorm, m.OutNormB) // [batch·T, dim]
}
