package llama

// This file is the one definition of the network: the order of its steps,
// written once over a small backend (Ops). The runtime runs it on kernels
// and per-sequence KV caches (rowOps, netrows.go: Sequence.Forward and
// Model.ForwardBatch); training runs it on autograd values on a tape
// (train.Model: a nil tape records nothing). A backend implements each step
// as its own code path needs (fused products, scratch buffers, KV cache;
// or recorded ops), but which steps run, in which order, on what, is only
// here.

// Weight names a weight of the network that a step reads. Matrices carry
// their bias, when the model has one, with them.
type Weight int

// The weights a step of Hidden names.
const (
	WAttnNorm   Weight = iota // [dim] (+ bias: LayerNorm)
	WAttnOutput               // [dim, nHeads·headDim] (+ bias)
	WFFNNorm                  // [dim] (+ bias: LayerNorm)
	WFFNUp                    // GELU MLP: [ffnDim, dim] (+ bias)
	WFFNDown                  // [dim, ffnDim] (+ bias)
	WOutputNorm               // [dim] (+ bias: LayerNorm)
)

// Ops are the steps of the network on activations of type T: row-major
// [rows, cols] matrices whose rows are the tokens of one step (nTok of
// them; they may belong to several sequences or training windows, each at
// its own positions). Each method is one step of Hidden; il is the block.
// A backend may compute in place and return its argument.
type Ops[T any] interface {
	// Embed returns the rows of the token embedding of the step's ids.
	Embed() T
	// PosEmbed returns the rows of the learned position embedding of the
	// ids' positions.
	PosEmbed() T
	// RMSNorm returns each row of x RMS-normalized, times weight w.
	RMSNorm(x T, il int, w Weight) T
	// LayerNorm returns each row of x normalized to mean 0 and variance 1,
	// times weight w, plus w's bias.
	LayerNorm(x T, il int, w Weight) T
	// QKV returns the query, key and value projections of h (each plus its
	// bias when the model has one).
	QKV(h T, il int) (q, k, v T)
	// QKNorm returns every head of q and k RMS-normalized, times the
	// block's query and key head norms.
	QKNorm(q, k T, il int) (T, T)
	// RoPE returns q and k rotated by the angles of their positions.
	RoPE(q, k T) (T, T)
	// Attention returns the causal grouped-query attention of every query
	// row over the keys and values of its sequence's positions up to its
	// own (a runtime backend first appends k and v to the KV cache).
	Attention(q, k, v T, il int) T
	// Linear returns x·Wᵀ (+ W's bias) for the block's matrix w.
	Linear(x T, il int, w Weight) T
	// Add returns x + y.
	Add(x, y T) T
	// GateUp returns the gate and up products of the SwiGLU FFN.
	GateUp(h T, il int) (gate, up T)
	// SwiGLU returns SiLU(gate) ⊙ up.
	SwiGLU(gate, up T) T
	// GELU returns GELU(x) (the tanh approximation).
	GELU(x T) T
	// HeadRows returns the rows of x whose logits are wanted (all of them,
	// or the last row of each sequence).
	HeadRows(x T) T
	// Head returns the logits x·Woutputᵀ.
	Head(x T) T
}

// Net is the variant of the block a model runs.
type Net struct {
	Layers int
	QKNorm bool // Qwen3: RMS-normalize every query and key head before RoPE
	GPT2   bool // GPT-2: learned positions (no RoPE), LayerNorm with bias, GELU MLP
}

// norm is the block's normalization of x by weight w: RMSNorm, or LayerNorm
// with bias.
func norm[T any, O Ops[T]](o O, n Net, x T, il int, w Weight) T {
	if n.GPT2 {
		return o.LayerNorm(x, il, w)
	}
	return o.RMSNorm(x, il, w)
}

// Hidden runs the network on o's rows and returns the final hidden states
// after the output norm, of the rows HeadRows chooses: [nOut, dim].
func Hidden[T any, O Ops[T]](o O, n Net) T {
	// x: [nTok, dim] ← rows of the token embedding
	x := o.Embed()
	if n.GPT2 {
		// x: [nTok, dim] ← x + rows of the position embedding
		x = o.Add(x, o.PosEmbed())
	}
	for il := 0; il < n.Layers; il++ {
		// h: [nTok, dim] ← Norm(x)·attn_norm (RMSNorm; LayerNorm + bias: GPT-2)
		h := norm(o, n, x, il, WAttnNorm)
		// q: [nTok, nHeads·headDim], k, v: [nTok, nKVHeads·headDim] ← h·Wᵀ (+ bias: Qwen2, GPT-2)
		q, k, v := o.QKV(h, il)
		if n.QKNorm {
			// Qwen3: q, k ← every head ([headDim]) RMS-normalized·attn_q_norm, attn_k_norm
			q, k = o.QKNorm(q, k, il)
		}
		if !n.GPT2 {
			// q: [nTok, nHeads·headDim], k: [nTok, nKVHeads·headDim] ← rotated by their positions
			q, k = o.RoPE(q, k)
		}
		// a: [nTok, nHeads·headDim] ← causal attention of each row over its sequence's positions 0..pos
		a := o.Attention(q, k, v, il)
		// x: [nTok, dim] ← x + a·Woᵀ (+ bias)
		x = o.Add(x, o.Linear(a, il, WAttnOutput))
		// h: [nTok, dim] ← Norm(x)·ffn_norm
		h = norm(o, n, x, il, WFFNNorm)
		var g T
		if n.GPT2 {
			// g: [nTok, ffnDim] ← GELU(h·Wupᵀ + b)
			g = o.GELU(o.Linear(h, il, WFFNUp))
		} else {
			// gate, up: [nTok, ffnDim] ← h·Wgateᵀ, h·Wupᵀ;   g: [nTok, ffnDim] ← SiLU(gate)⊙up
			g = o.SwiGLU(o.GateUp(h, il))
		}
		// x: [nTok, dim] ← x + g·Wdownᵀ (+ bias)
		x = o.Add(x, o.Linear(g, il, WFFNDown))
	}
	// [nOut, dim] ← Norm(the rows whose logits are wanted)·output_norm
	return norm(o, n, o.HeadRows(x), -1, WOutputNorm)
}

// Logits runs the network on o's rows and returns the logits of the rows
// HeadRows chooses: [nOut, vocab] ← Hidden·Woutputᵀ.
func Logits[T any, O Ops[T]](o O, n Net) T {
	return o.Head(Hidden(o, n))
}
