package train

import (
	"fmt"
	"math"
)

// Architectures Config.Arch accepts.
const (
	ArchLlama = "llama" // RMSNorm, RoPE, grouped KV heads, SwiGLU, no biases
	ArchGPT2  = "gpt2"  // learned positions, LayerNorm, GELU MLP, biases, head tied to the embedding
)

// Config is the shape of a model to train.
type Config struct {
	Arch    string  `json:"arch"`      // ArchLlama or ArchGPT2
	Layers  int     `json:"layers"`    // transformer blocks
	Dim     int     `json:"dim"`       // embedding width
	Heads   int     `json:"heads"`     // query heads
	KVHeads int     `json:"kv_heads"`  // key/value heads (Llama; GPT-2 uses Heads)
	FFN     int     `json:"ffn"`       // feed-forward width
	Ctx     int     `json:"ctx"`       // context length: the training window and the most positions
	Vocab   int     `json:"vocab"`     // vocabulary size (set from the tokenizer)
	Tied    bool    `json:"tied"`      // Llama: output head shares the token embedding (GPT-2 always does)
	Eps     float32 `json:"eps"`       // norm epsilon
	RoPE    float32 `json:"rope_base"` // Llama: RoPE frequency base
	// Pos is GPT-2's position encoding: PosLearned (a trained table, the
	// default) or PosSinusoidal (the fixed sinusoids of Vaswani et al. 2017,
	// not trained; stored and exported as the position table they fill).
	Pos string `json:"pos,omitempty"`
}

// Position encodings of GPT-2-style models (Config.Pos).
const (
	PosLearned    = "learned"
	PosSinusoidal = "sinusoidal"
)

// WithDefaults fills the fields left zero: KV heads = heads, FFN = 4·dim for
// GPT-2 and the multiple of 32 nearest above 8/3·dim for Llama (the SwiGLU
// width of the same parameter count), eps 1e-5, RoPE base 10000.
func (c Config) WithDefaults() Config {
	if c.Arch == "" {
		c.Arch = ArchLlama
	}
	if c.KVHeads == 0 || c.Arch == ArchGPT2 {
		c.KVHeads = c.Heads
	}
	if c.FFN == 0 {
		if c.Arch == ArchGPT2 {
			c.FFN = 4 * c.Dim
		} else {
			c.FFN = (8*c.Dim/3 + 31) / 32 * 32
		}
	}
	if c.Eps == 0 {
		c.Eps = 1e-5
	}
	if c.RoPE == 0 {
		c.RoPE = 10000
	}
	if c.Arch == ArchGPT2 {
		c.Tied = true
		if c.Pos == "" {
			c.Pos = PosLearned
		}
	}
	return c
}

// Validate reports a configuration that cannot be built.
func (c Config) Validate() error {
	switch {
	case c.Arch != ArchLlama && c.Arch != ArchGPT2:
		return fmt.Errorf("train: architecture %q is not %q or %q", c.Arch, ArchLlama, ArchGPT2)
	case c.Layers <= 0 || c.Dim <= 0 || c.Heads <= 0 || c.KVHeads <= 0 || c.FFN <= 0 || c.Ctx <= 0 || c.Vocab <= 0:
		return fmt.Errorf("train: config %s: layers, dim, heads, kv-heads, ffn, ctx and vocab must all be positive", c)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("train: dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.Heads%c.KVHeads != 0:
		return fmt.Errorf("train: heads %d is not a multiple of kv-heads %d", c.Heads, c.KVHeads)
	case c.Arch == ArchLlama && (c.Dim/c.Heads)%2 != 0:
		return fmt.Errorf("train: head size %d must be even for RoPE", c.Dim/c.Heads)
	case c.Pos != "" && c.Pos != PosLearned && c.Pos != PosSinusoidal:
		return fmt.Errorf("train: position encoding %q is not %q or %q", c.Pos, PosLearned, PosSinusoidal)
	case c.Arch != ArchGPT2 && c.Pos != "":
		return fmt.Errorf("train: position encoding %q: only GPT-2 models have position embeddings (Llama uses RoPE)", c.Pos)
	case !(c.Eps > 0) || !(c.RoPE > 0):
		return fmt.Errorf("train: eps %v and rope base %v must be positive", c.Eps, c.RoPE)
	case c.Params() > 1<<40:
		return fmt.Errorf("train: config %s has %d parameters, too many", c, c.Params())
	}
	return nil
}

// String is the shape in one line.
func (c Config) String() string {
	s := fmt.Sprintf("%s layers=%d dim=%d heads=%d kv-heads=%d ffn=%d ctx=%d vocab=%d tied=%v",
		c.Arch, c.Layers, c.Dim, c.Heads, c.KVHeads, c.FFN, c.Ctx, c.Vocab, c.Tied)
	if c.Pos == PosSinusoidal {
		s += " pos=sinusoidal"
	}
	return s
}

// HeadDim is the size of one attention head.
func (c Config) HeadDim() int { return c.Dim / c.Heads }

// Params returns the number of parameters (float64 so that absurd
// configurations do not overflow before they are refused).
func (c Config) Params() int64 {
	p := paramsF(c)
	if p > math.MaxInt64/8 {
		return math.MaxInt64 / 8
	}
	return int64(p)
}

func paramsF(c Config) float64 {
	d, f, v := float64(c.Dim), float64(c.FFN), float64(c.Vocab)
	kv := float64(c.KVHeads) * float64(c.Dim/max(c.Heads, 1))
	var layer float64
	if c.Arch == ArchGPT2 {
		// ln1 w,b; q,k,v,o + biases; ln2 w,b; fc + b; proj + b
		layer = 4*d + 2*d*d + 2*d*kv + d + 2*kv + d + 2*d*f + f + d
		pos := float64(c.Ctx) * d
		if c.Pos == PosSinusoidal {
			pos = 0 // a fixed table, not a parameter
		}
		return v*d + pos + float64(c.Layers)*layer + 2*d
	}
	layer = 2*d + 2*d*d + 2*d*kv + 3*d*f
	p := v*d + float64(c.Layers)*layer + d
	if !c.Tied {
		p += v * d
	}
	return p
}

// MatMulParams returns the parameters that take part in matrix products per
// token (every matrix but the embedding tables, plus the output head): the
// N of the 6·N·tokens estimate of training FLOPs.
func (c Config) MatMulParams() int64 {
	d, f, v := int64(c.Dim), int64(c.FFN), int64(c.Vocab)
	kv := int64(c.KVHeads) * int64(c.HeadDim())
	n := 2*d*d + 2*d*kv
	if c.Arch == ArchGPT2 {
		n += 2 * d * f
	} else {
		n += 3 * d * f
	}
	return int64(c.Layers)*n + v*d
}

// StepFLOPs returns the floating-point operations of one forward and
// backward pass over tokens tokens in windows of T: 6·MatMulParams·tokens
// plus attention, 12·layers·dim·T per token (PaLM's accounting, counting
// the full T×T products).
func (c Config) StepFLOPs(tokens, T int) float64 {
	return 6*float64(c.MatMulParams())*float64(tokens) + 12*float64(c.Layers)*float64(c.Dim)*float64(T)*float64(tokens)
}

// EstimateMemory returns the bytes a training step needs, estimated before
// anything is allocated: parameters, gradients and AdamW's two moments
// (16 bytes per parameter), and the activations the tape keeps for a
// micro-batch of batch windows of Ctx tokens (each value and its gradient),
// with the attention probabilities (heads·T² per window and layer) and the
// logits (vocab per token).
func (c Config) EstimateMemory(batch int) float64 {
	tok := float64(batch) * float64(c.Ctx)
	d, f := float64(c.Dim), float64(c.FFN)
	kv := float64(c.KVHeads) * float64(c.HeadDim())
	perLayer := tok*(12*d+4*kv+4*f) + float64(batch)*float64(c.Heads)*float64(c.Ctx)*float64(c.Ctx)
	act := float64(c.Layers)*perLayer + tok*(4*d+3*float64(c.Vocab))
	return 16*paramsF(c) + 2*4*act
}
