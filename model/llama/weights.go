package llama

import (
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/tensor"
)

// Layer is the weights of one transformer block. Matrices are row-major
// [out, in]: a GGUF tensor with dims [in, out].
type Layer struct {
	AttnNorm   []float32 // [dim]
	Query      Matrix    // [nHeads·headDim, dim]
	Key        Matrix    // [nKVHeads·headDim, dim]
	Value      Matrix    // [nKVHeads·headDim, dim]
	AttnOutput Matrix    // [dim, nHeads·headDim]
	FFNNorm    []float32 // [dim]
	FFNGate    Matrix    // [ffnDim, dim]
	FFNUp      Matrix    // [ffnDim, dim]
	FFNDown    Matrix    // [dim, ffnDim]
	// QNorm and KNorm, when set (Qwen3), RMS-normalize every query and key
	// head before RoPE: [headDim] each.
	QNorm, KNorm []float32
}

// Weights is every parameter of the network: norms as float32, matrices in
// their file's storage type (see Matrix).
type Weights struct {
	TokenEmbd  Matrix    // [vocab, dim]
	Layers     []Layer   // [numLayers]
	OutputNorm []float32 // [dim]
	Output     Matrix    // [vocab, dim]; a copy of TokenEmbd (the same data) when tied
	// RopeFreqs, when set (rope_freqs.weight of Llama 3.1+ files), divides
	// each rotated pair's angle: [ropeDim/2].
	RopeFreqs []float32
}

// loadWeights reads and checks every tensor of c from f. c.VocabSize is set
// from token_embd.weight.
func loadWeights(f *gguf.File, c *Config) (*Weights, error) {
	if err := readVocab(f, c, 9); err != nil {
		return nil, err
	}
	qDim, kvDim := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim

	rd := &tensorReader{f: f}
	get, mat := rd.f32, rd.mat
	w := &Weights{
		TokenEmbd:  mat(nameTokenEmbd, c.Dim, c.VocabSize),
		OutputNorm: get(nameOutputNorm, c.Dim),
		Layers:     make([]Layer, c.NumLayers),
	}
	if _, ok := f.Tensor(nameOutput); ok {
		w.Output = mat(nameOutput, c.Dim, c.VocabSize)
	} else {
		w.Output = w.TokenEmbd
	}
	for il := range w.Layers {
		w.Layers[il] = Layer{
			AttnNorm:   get(blockName(il, nameAttnNorm), c.Dim),
			Query:      mat(blockName(il, nameAttnQ), c.Dim, qDim),
			Key:        mat(blockName(il, nameAttnK), c.Dim, kvDim),
			Value:      mat(blockName(il, nameAttnV), c.Dim, kvDim),
			AttnOutput: mat(blockName(il, nameAttnOutput), qDim, c.Dim),
			FFNNorm:    get(blockName(il, nameFFNNorm), c.Dim),
			FFNGate:    mat(blockName(il, nameFFNGate), c.Dim, c.FFNDim),
			FFNUp:      mat(blockName(il, nameFFNUp), c.Dim, c.FFNDim),
			FFNDown:    mat(blockName(il, nameFFNDown), c.FFNDim, c.Dim),
		}
	}
	// Optional tensors: q/k/v/output biases (Qwen2; llama.cpp's llama graph
	// takes them too), per-head q/k norms (Qwen3), RoPE frequency factors.
	opt := func(name string, dims ...int) []float32 {
		if _, ok := f.Tensor(name); !ok || rd.err != nil {
			return nil
		}
		return get(name, dims...)
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		l.Query.Bias = opt(blockBias(il, nameAttnQ), qDim)
		l.Key.Bias = opt(blockBias(il, nameAttnK), kvDim)
		l.Value.Bias = opt(blockBias(il, nameAttnV), kvDim)
		l.AttnOutput.Bias = opt(blockBias(il, nameAttnOutput), c.Dim)
		l.QNorm = opt(blockName(il, nameAttnQNorm), c.HeadDim)
		l.KNorm = opt(blockName(il, nameAttnKNorm), c.HeadDim)
		if (l.QNorm == nil) != (l.KNorm == nil) && rd.err == nil {
			rd.err = fmt.Errorf("llama: block %d has only one of %s and %s", il, nameAttnQNorm, nameAttnKNorm)
		}
	}
	w.RopeFreqs = opt(nameRopeFreqs, c.RopeDim/2)
	if c.Arch == "qwen3" && rd.err == nil && len(w.Layers) > 0 && w.Layers[0].QNorm == nil {
		rd.err = fmt.Errorf("llama: qwen3 model without %q", blockName(0, nameAttnQNorm))
	}
	if rd.err != nil {
		return nil, rd.err
	}
	return w, nil
}

// tensorReader reads the tensors of f, keeping the first error: once a read
// has failed the others return zero values, and err says what failed.
type tensorReader struct {
	f   *gguf.File
	err error
}

// f32 is readF32 of the tensor, unless an earlier read failed.
func (r *tensorReader) f32(name string, dims ...int) []float32 {
	if r.err != nil {
		return nil
	}
	v, err := readF32(r.f, name, dims...)
	r.err = err
	return v
}

// mat is readMatrix of the tensor, unless an earlier read failed.
func (r *tensorReader) mat(name string, cols, rows int) Matrix {
	if r.err != nil {
		return Matrix{}
	}
	m, err := readMatrix(r.f, name, cols, rows)
	r.err = err
	return m
}

// readF32 returns tensor name as float32, after checking that its dims (ggml
// order, innermost first) are exactly dims. Aligned F32 data from a mapped
// file is used in place; F16 and BF16 are converted.
func readF32(f *gguf.File, name string, dims ...int) ([]float32, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("llama: missing tensor %q", name)
	}
	same := len(t.Dims) == len(dims)
	n64 := uint64(1) // dims are at most maxDim = 2^24, so two of them fit
	for i := 0; same && i < len(dims); i++ {
		same = t.Dims[i] == uint64(dims[i])
		n64 *= uint64(dims[i])
	}
	if !same {
		return nil, fmt.Errorf("llama: tensor %q: dims %v, want %v", name, t.Dims, dims)
	}
	if n64 > math.MaxInt/4 {
		return nil, fmt.Errorf("llama: tensor %q: %d elements do not fit in memory", name, n64)
	}
	n := int(n64)
	switch t.Type {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16:
	default:
		return nil, fmt.Errorf("llama: tensor %q: type %s is not supported (F32, F16, BF16; matrices also Q8_0, Q4_0)", name, t.Type)
	}
	b, err := f.TensorBytes(name)
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	var out []float32
	switch t.Type {
	case gguf.TypeF32:
		if len(b) != 4*n {
			return nil, fmt.Errorf("llama: tensor %q: %d bytes, want %d", name, len(b), 4*n)
		}
		if v, ok := tensor.F32View(b); ok { // a view of the mapping, or of our own copy
			return v, nil
		}
		out = make([]float32, n)
		tensor.F32BytesToF32(out, b)
	case gguf.TypeF16, gguf.TypeBF16:
		if len(b) != 2*n {
			return nil, fmt.Errorf("llama: tensor %q: %d bytes, want %d", name, len(b), 2*n)
		}
		out = make([]float32, n)
		if t.Type == gguf.TypeF16 {
			tensor.F16BytesToF32(out, b)
		} else {
			tensor.BF16BytesToF32(out, b)
		}
	}
	return out, nil
}

// readVocab sets c.VocabSize from token_embd.weight's shape, and rejects a
// block count the file's tensor index cannot hold (perBlock tensors each)
// before anything is allocated for it.
func readVocab(f *gguf.File, c *Config, perBlock int) error {
	emb, ok := f.Tensor(nameTokenEmbd)
	if !ok {
		return fmt.Errorf("llama: missing tensor %q", nameTokenEmbd)
	}
	if len(emb.Dims) != 2 || emb.Dims[1] == 0 || emb.Dims[1] > maxDim {
		return fmt.Errorf("llama: tensor %q: dims %v, want [%d, vocab]", nameTokenEmbd, emb.Dims, c.Dim)
	}
	c.VocabSize = int(emb.Dims[1])
	if c.NumLayers > len(f.Tensors)/perBlock {
		return fmt.Errorf("llama: block_count %d, but the file has only %d tensors", c.NumLayers, len(f.Tensors))
	}
	return nil
}
