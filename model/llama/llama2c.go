package llama

import (
	"fmt"

	"github.com/llmpipe/llmpipe/format/llama2c"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/quant"
)

// llama2.c's fixed hyperparameters (run.c): RMSNorm epsilon and RoPE base.
const (
	llama2cRMSEps   = 1e-5
	llama2cRopeBase = 10000
)

// ConfigFromLlama2c is the Config of a llama2.c checkpoint: context length
// seq_len, RMS epsilon 1e-5 and RoPE base 10000 (run.c's constants), RoPE
// over the whole head in normal ordering (run.c rotates adjacent pairs
// (x[2i], x[2i+1]) of each head, as ggml's LLAMA_ROPE_TYPE_NORM does).
func ConfigFromLlama2c(c llama2c.Config) Config {
	return Config{
		Arch:          ArchName,
		ContextLength: c.SeqLen,
		Dim:           c.Dim,
		NumLayers:     c.NumLayers,
		FFNDim:        c.HiddenDim,
		NumHeads:      c.NumHeads,
		NumKVHeads:    c.NumKVHeads,
		HeadDim:       c.HeadSize(),
		RMSEps:        llama2cRMSEps,
		RopeDim:       c.HeadSize(),
		RopeBase:      llama2cRopeBase,
		RopeFreqScale: 1,
		RopeMode:      kernels.RoPENormal,
		VocabSize:     c.VocabSize,
	}
}

// FromLlama2c builds a model from a llama2.c checkpoint (read with
// format/llama2c). The weights are used in place, not copied: w1 is the
// feed-forward gate, w3 the up and w2 the down projection, as in run.c's
// forward. Every array's length is checked against the header.
func FromLlama2c(ck *llama2c.Checkpoint) (*Model, error) {
	if ck == nil {
		return nil, fmt.Errorf("llama: nil llama2.c checkpoint")
	}
	c := ConfigFromLlama2c(ck.Config)
	if c.Dim <= 0 || c.NumHeads <= 0 || c.NumKVHeads <= 0 || c.Dim%c.NumHeads != 0 || c.NumHeads%c.NumKVHeads != 0 ||
		c.HeadDim%2 != 0 || c.FFNDim <= 0 || c.VocabSize <= 0 || c.ContextLength <= 0 || c.NumLayers <= 0 {
		return nil, fmt.Errorf("llama: llama2.c header %+v is inconsistent", ck.Config)
	}
	if len(ck.Layers) != c.NumLayers {
		return nil, fmt.Errorf("llama: llama2.c checkpoint has %d layers, header says %d", len(ck.Layers), c.NumLayers)
	}
	qDim, kvDim := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	var err error
	vec := func(name string, v []float32, n int) []float32 {
		if err == nil && len(v) != n {
			err = fmt.Errorf("llama: llama2.c tensor %s has %d values, want %d", name, len(v), n)
		}
		return v
	}
	mat := func(name string, v []float32, rows, cols int) Matrix {
		vec(name, v, rows*cols)
		return Matrix{Type: quant.F32, Rows: rows, Cols: cols, F32: v}
	}
	w := &Weights{
		TokenEmbd:  mat("token_embedding", ck.TokenEmbedding, c.VocabSize, c.Dim),
		OutputNorm: vec("rms_final", ck.RMSFinal, c.Dim),
		Output:     mat("wcls", ck.Classifier, c.VocabSize, c.Dim),
		Layers:     make([]Layer, c.NumLayers),
	}
	for il, l := range ck.Layers {
		name := func(s string) string { return fmt.Sprintf("%s[%d]", s, il) }
		w.Layers[il] = Layer{
			AttnNorm:   vec(name("rms_att"), l.RMSAtt, c.Dim),
			Query:      mat(name("wq"), l.WQ, qDim, c.Dim),
			Key:        mat(name("wk"), l.WK, kvDim, c.Dim),
			Value:      mat(name("wv"), l.WV, kvDim, c.Dim),
			AttnOutput: mat(name("wo"), l.WO, c.Dim, qDim),
			FFNNorm:    vec(name("rms_ffn"), l.RMSFFN, c.Dim),
			FFNGate:    mat(name("w1"), l.W1, c.FFNDim, c.Dim),
			FFNUp:      mat(name("w3"), l.W3, c.FFNDim, c.Dim),
			FFNDown:    mat(name("w2"), l.W2, c.Dim, c.FFNDim),
		}
	}
	if err != nil {
		return nil, err
	}
	return &Model{Config: c, Weights: w}, nil
}
