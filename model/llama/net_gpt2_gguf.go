package llama

import (
	"fmt"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/quant"
)

// GGUF names of GPT-2's tensors beyond names.go's (llama.cpp's
// LLM_TENSOR_NAMES; the tensors llama.cpp's LLM_ARCH_GPT2 loader creates:
// token_embd, position_embd, output_norm weight and bias, an optional
// output, and per block attn_norm, attn_qkv, attn_output, ffn_norm, ffn_up
// and ffn_down, each a weight and a bias).
const (
	namePosEmbd        = "position_embd.weight"
	nameOutputNormBias = "output_norm.bias"
	nameAttnQKV        = "attn_qkv" // q, k and v rows, one after another: [dim, qDim + 2·kvDim] in ggml order
)

// gpt2ConfigFromGGUF reads the gpt2.* metadata llama.cpp's GPT-2 loader
// reads: context, embedding, block count, feed-forward width, head counts
// (KV heads default to heads) and the LayerNorm epsilon (in RMSEps).
// VocabSize is left 0.
func gpt2ConfigFromGGUF(f *gguf.File) (Config, error) {
	const arch = ArchGPT2
	c := Config{Arch: arch, RopeBase: 10000, RopeFreqScale: 1, RopeMode: kernels.RoPENormal}
	var err error
	get := func(key string, dst *int, def int) {
		if err != nil {
			return
		}
		v, ok := f.Uint(arch + "." + key)
		switch {
		case !ok && def > 0:
			if _, present := f.Value(arch + "." + key); !present {
				*dst = def
				return
			}
			err = fmt.Errorf("llama: metadata %s.%s is not an integer", arch, key)
		case !ok:
			err = fmt.Errorf("llama: missing or non-integer metadata %s.%s", arch, key)
		case v == 0 || v > maxDim:
			err = fmt.Errorf("llama: metadata %s.%s = %d out of range [1, %d]", arch, key, v, maxDim)
		default:
			*dst = int(v)
		}
	}
	get("context_length", &c.ContextLength, 0)
	get("embedding_length", &c.Dim, 0)
	get("block_count", &c.NumLayers, 0)
	get("feed_forward_length", &c.FFNDim, 0)
	get("attention.head_count", &c.NumHeads, 0)
	if err == nil {
		get("attention.head_count_kv", &c.NumKVHeads, c.NumHeads)
	}
	if err != nil {
		return Config{}, err
	}
	eps, ok := f.Value(arch + ".attention.layer_norm_epsilon")
	if !ok {
		return Config{}, fmt.Errorf("llama: missing metadata %s.attention.layer_norm_epsilon", arch)
	}
	e, ok := eps.Float()
	if !ok || !(e >= 0) || e > 1 {
		return Config{}, fmt.Errorf("llama: metadata %s.attention.layer_norm_epsilon is %v, not a number in [0, 1]", arch, eps)
	}
	c.RMSEps = float32(e)
	switch {
	case c.Dim%c.NumHeads != 0:
		return Config{}, fmt.Errorf("llama: embedding_length %d is not a multiple of head_count %d", c.Dim, c.NumHeads)
	case c.NumHeads%c.NumKVHeads != 0:
		return Config{}, fmt.Errorf("llama: head_count %d is not a multiple of head_count_kv %d", c.NumHeads, c.NumKVHeads)
	}
	c.HeadDim = c.Dim / c.NumHeads
	c.RopeDim = c.HeadDim // unused: GPT-2 has learned positions
	return c, nil
}

// loadGPT2 reads the configuration and weights of a GPT-2 GGUF file. The
// fused attn_qkv matrix and bias become Query, Key and Value views of its
// rows (no copy); ffn_up and ffn_down are the MLP's two matrices.
func loadGPT2(f *gguf.File) (*Model, error) {
	c, err := gpt2ConfigFromGGUF(f)
	if err != nil {
		return nil, fmt.Errorf("%w (general.architecture %q)", err, ArchGPT2)
	}
	if err := readVocab(f, &c, 12); err != nil { // 12 tensors a block
		return nil, err
	}
	qDim, kvDim := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	rd := &tensorReader{f: f}
	get, mat := rd.f32, rd.mat
	// a weight and its bias: "blk.<il>.<what>.weight" and ".bias"
	linear := func(il int, what string, cols, rows int) Matrix {
		m := mat(blockName(il, what), cols, rows)
		m.Bias = get(blockBias(il, what), rows)
		return m
	}
	w := &Weights{
		TokenEmbd:  mat(nameTokenEmbd, c.Dim, c.VocabSize),
		OutputNorm: get(nameOutputNorm, c.Dim),
		Layers:     make([]Layer, c.NumLayers),
	}
	g := &GPT2Weights{
		PosEmbd:     mat(namePosEmbd, c.Dim, c.ContextLength),
		OutputNormB: get(nameOutputNormBias, c.Dim),
		AttnNormB:   make([][]float32, c.NumLayers),
		FFNNormB:    make([][]float32, c.NumLayers),
	}
	if _, ok := f.Tensor(nameOutput); ok {
		w.Output = mat(nameOutput, c.Dim, c.VocabSize)
	} else {
		w.Output = w.TokenEmbd
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		l.AttnNorm, g.AttnNormB[il] = get(blockName(il, nameAttnNorm), c.Dim), get(blockBias(il, nameAttnNorm), c.Dim)
		qkv := linear(il, nameAttnQKV, c.Dim, qDim+2*kvDim)
		if rd.err == nil {
			l.Query, l.Key, l.Value = qkv.rows(0, qDim), qkv.rows(qDim, kvDim), qkv.rows(qDim+kvDim, kvDim)
		}
		l.AttnOutput = linear(il, nameAttnOutput, qDim, c.Dim)
		l.FFNNorm, g.FFNNormB[il] = get(blockName(il, nameFFNNorm), c.Dim), get(blockBias(il, nameFFNNorm), c.Dim)
		l.FFNUp = linear(il, nameFFNUp, c.Dim, c.FFNDim)
		l.FFNDown = linear(il, nameFFNDown, c.FFNDim, c.Dim)
	}
	if rd.err != nil {
		return nil, rd.err
	}
	return &Model{Config: c, Weights: w, GPT2: g}, nil
}

// rows returns rows r0..r0+n-1 of m (and of its bias) as a matrix sharing
// m's storage.
func (m *Matrix) rows(r0, n int) Matrix {
	out := Matrix{Type: m.Type, Rows: n, Cols: m.Cols}
	if m.Type == quant.F32 {
		out.F32 = m.F32[r0*m.Cols : (r0+n)*m.Cols]
	} else {
		rs := len(m.Data) / m.Rows
		out.Data = m.Data[r0*rs : (r0+n)*rs]
	}
	if m.Bias != nil {
		out.Bias = m.Bias[r0 : r0+n]
	}
	return out
}

// gpt2Metadata adds the gpt2.* hyperparameters gpt2ConfigFromGGUF (and
// llama.cpp) read.
func (m *Model) gpt2Metadata(kv func(key string, v any)) {
	c := m.Config
	kv(ArchGPT2+".context_length", uint32(c.ContextLength))
	kv(ArchGPT2+".embedding_length", uint32(c.Dim))
	kv(ArchGPT2+".block_count", uint32(c.NumLayers))
	kv(ArchGPT2+".feed_forward_length", uint32(c.FFNDim))
	kv(ArchGPT2+".attention.head_count", uint32(c.NumHeads))
	kv(ArchGPT2+".attention.head_count_kv", uint32(c.NumKVHeads))
	kv(ArchGPT2+".attention.layer_norm_epsilon", c.RMSEps)
	kv(ArchGPT2+".vocab_size", uint32(c.VocabSize))
}

// checkGPT2Export is checkExport for a GPT-2: every weight has the size the
// config says, and q, k and v can be fused (the same storage type).
func (m *Model) checkGPT2Export() error {
	c, w, g := m.Config, m.Weights, m.GPT2
	if w == nil || g == nil {
		return fmt.Errorf("llama: export: gpt2 model has no weights")
	}
	if c.Arch != ArchGPT2 {
		return fmt.Errorf("llama: export: a model with GPT-2 weights has architecture %q, not %q", c.Arch, ArchGPT2)
	}
	if c.NumLayers != len(w.Layers) || c.NumLayers <= 0 {
		return fmt.Errorf("llama: export: config says %d layers, weights have %d", c.NumLayers, len(w.Layers))
	}
	if c.NumHeads <= 0 || c.NumKVHeads <= 0 || c.HeadDim <= 0 || c.Dim <= 0 || c.FFNDim <= 0 || c.VocabSize <= 0 || c.ContextLength <= 0 {
		return fmt.Errorf("llama: export: config %+v has a non-positive size", c)
	}
	if c.HeadDim*c.NumHeads != c.Dim {
		return fmt.Errorf("llama: export: gpt2 head size %d·%d heads is not the width %d", c.HeadDim, c.NumHeads, c.Dim)
	}
	if err := g.check(&c); err != nil {
		return fmt.Errorf("llama: export: %w", err)
	}
	qDim, kvDim := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	var err error
	mat := func(name string, mx *Matrix, rows, cols int, bias bool) {
		if err == nil {
			err = mx.check(name, rows, cols)
		}
		if err == nil && bias && mx.Bias == nil {
			err = fmt.Errorf("llama: export: %s has no bias", name)
		}
	}
	vec := func(name string, v []float32) {
		if err == nil && len(v) != c.Dim {
			err = fmt.Errorf("llama: export: %s has %d values, want %d", name, len(v), c.Dim)
		}
	}
	mat(nameTokenEmbd, &w.TokenEmbd, c.VocabSize, c.Dim, false)
	mat(namePosEmbd, &g.PosEmbd, g.PosEmbd.Rows, c.Dim, false)
	mat(nameOutput, &w.Output, c.VocabSize, c.Dim, false)
	vec(nameOutputNorm, w.OutputNorm)
	for il := range w.Layers {
		l := &w.Layers[il]
		vec(blockName(il, nameAttnNorm), l.AttnNorm)
		vec(blockName(il, nameFFNNorm), l.FFNNorm)
		vec(blockBias(il, nameAttnNorm), g.AttnNormB[il])
		vec(blockBias(il, nameFFNNorm), g.FFNNormB[il])
		mat(blockName(il, nameAttnQ), &l.Query, qDim, c.Dim, true)
		mat(blockName(il, nameAttnK), &l.Key, kvDim, c.Dim, true)
		mat(blockName(il, nameAttnV), &l.Value, kvDim, c.Dim, true)
		mat(blockName(il, nameAttnOutput), &l.AttnOutput, c.Dim, qDim, true)
		mat(blockName(il, nameFFNUp), &l.FFNUp, c.FFNDim, c.Dim, true)
		mat(blockName(il, nameFFNDown), &l.FFNDown, c.Dim, c.FFNDim, true)
		if err == nil && (l.Key.Type != l.Query.Type || l.Value.Type != l.Query.Type) {
			err = fmt.Errorf("llama: export: block %d: q, k, v are %v, %v, %v (attn_qkv fuses them: one type)", il, l.Query.Type, l.Key.Type, l.Value.Type)
		}
	}
	return err
}

// gpt2Tensors lists a GPT-2's tensors under llama.cpp's names, with the
// storage type each gets for matrix type t (see ggufTensors): q, k and v
// fused into attn_qkv (their rows one after another, as the loader splits
// them), every block matrix with its bias.
func (m *Model) gpt2Tensors(t quant.Type) ([]exportTensor, error) {
	w, g := m.Weights, m.GPT2
	list := &exportList{typ: t}
	vec, mat := list.vec, list.mat
	mat(nameTokenEmbd, &w.TokenEmbd)
	mat(namePosEmbd, &g.PosEmbd)
	vec(nameOutputNorm, w.OutputNorm)
	vec(nameOutputNormBias, g.OutputNormB)
	if !w.tied() {
		mat(nameOutput, &w.Output)
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		vec(blockName(il, nameAttnNorm), l.AttnNorm)
		vec(blockBias(il, nameAttnNorm), g.AttnNormB[il])
		qkv := fuseRows(&l.Query, &l.Key, &l.Value)
		mat(blockName(il, nameAttnQKV), &qkv)
		mat(blockName(il, nameAttnOutput), &l.AttnOutput)
		vec(blockName(il, nameFFNNorm), l.FFNNorm)
		vec(blockBias(il, nameFFNNorm), g.FFNNormB[il])
		mat(blockName(il, nameFFNUp), &l.FFNUp)
		mat(blockName(il, nameFFNDown), &l.FFNDown)
	}
	return list.ts, nil
}

// fuseRows returns one matrix holding the rows (and biases) of ms, which
// have the same type and width (checkGPT2Export), one after another.
func fuseRows(ms ...*Matrix) Matrix {
	out := Matrix{Type: ms[0].Type, Cols: ms[0].Cols}
	for _, m := range ms {
		out.Rows += m.Rows
		out.F32 = append(out.F32, m.F32...)
		out.Data = append(out.Data, m.Data...)
		out.Bias = append(out.Bias, m.Bias...)
	}
	return out
}
