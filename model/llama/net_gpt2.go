package llama

import (
	"fmt"
	"math"
)

// ArchGPT2 is the general.architecture value of GPT-2 (Radford et al. 2019,
// "Language Models are Unsupervised Multitask Learners"; llama.cpp's
// llm_build_gpt2).
const ArchGPT2 = "gpt2"

// GPT2Weights are the weights a GPT-2 network has beyond Weights. A Model
// with them runs the GPT-2 variant of the network definition (Net.GPT2):
// token plus learned position embeddings, no RoPE, LayerNorm with bias
// (epsilon in Config.RMSEps) before attention, before the MLP and at the
// end, q/k/v and attention-output biases (Matrix.Bias), and the MLP
// FFNDown·GELU(FFNUp·x + b) + b (FFNGate is unused).
type GPT2Weights struct {
	PosEmbd     Matrix      // [contextLength, dim]
	AttnNormB   [][]float32 // [numLayers] of [dim]
	FFNNormB    [][]float32 // [numLayers] of [dim]
	OutputNormB []float32   // [dim]
}

// check reports GPT-2 weights that do not fit the configuration c.
func (g *GPT2Weights) check(c *Config) error {
	if g.PosEmbd.Rows < c.ContextLength || g.PosEmbd.Cols != c.Dim {
		return fmt.Errorf("llama: gpt2 position embedding is [%d, %d], want [%d, %d]", g.PosEmbd.Rows, g.PosEmbd.Cols, c.ContextLength, c.Dim)
	}
	if len(g.AttnNormB) != c.NumLayers || len(g.FFNNormB) != c.NumLayers || len(g.OutputNormB) != c.Dim {
		return fmt.Errorf("llama: gpt2 norm biases: %d and %d blocks and %d output values, want %d blocks and %d", len(g.AttnNormB), len(g.FFNNormB), len(g.OutputNormB), c.NumLayers, c.Dim)
	}
	return nil
}

// PosEmbed implements Ops: xb: [nTok, dim] ← rows of the position embedding
// at each sequence's positions s.n...
func (r *rowOps) PosEmbed() []float32 {
	dim := r.m.Config.Dim
	for i, s := range r.ss {
		for j := range r.ids[i] {
			t := r.offs[i] + j
			r.m.GPT2.PosEmbd.row(r.xb[t*dim:(t+1)*dim], s.n+j)
		}
	}
	return r.xb[:r.nTok()*dim]
}

// LayerNorm implements Ops: xb: [rows, dim] ← (x − mean)/√(var + ε)·w + b,
// row by row (mean and variance accumulated in float64).
func (r *rowOps) LayerNorm(x []float32, il int, w Weight) []float32 {
	c, g := &r.m.Config, r.m.GPT2
	var gain, bias []float32
	switch w {
	case WAttnNorm:
		gain, bias = r.layer(il).AttnNorm, g.AttnNormB[il]
	case WFFNNorm:
		gain, bias = r.layer(il).FFNNorm, g.FFNNormB[il]
	case WOutputNorm:
		gain, bias = r.m.Weights.OutputNorm, g.OutputNormB
	default:
		panic(fmt.Sprintf("llama: LayerNorm of weight %d", w))
	}
	dim := c.Dim
	out := r.xb[:len(x)]
	for t := 0; t < len(x)/dim; t++ {
		layerNorm(out[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], gain, bias, c.RMSEps)
	}
	return out
}

// layerNorm sets y = (x − mean)/√(var + eps)·w + b over one row.
func layerNorm(y, x, w, b []float32, eps float32) {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	mu := s / float64(len(x))
	var vs float64
	for _, v := range x {
		d := float64(v) - mu
		vs += d * d
	}
	rs := 1 / math.Sqrt(vs/float64(len(x))+float64(eps))
	for j, v := range x {
		y[j] = float32((float64(v)-mu)*rs)*w[j] + b[j]
	}
}

// GELU implements Ops: x ← GELU(x) in place, the tanh approximation
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (Hendrycks and Gimpel 2016),
// as GPT-2 and llama.cpp's ggml_gelu.
func (r *rowOps) GELU(x []float32) []float32 {
	const c = 0.7978845608028654 // √(2/π)
	for i, u := range x {
		v := float64(u)
		x[i] = float32(0.5 * v * (1 + math.Tanh(c*(v+0.044715*v*v*v))))
	}
	return x
}
