package llama

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"

	"github.com/llmpipe/llmpipe/format/safetensors"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/quant"
)

// GPT-2 in Hugging Face's layout (transformers' GPT2LMHeadModel), checked
// against transformers' source:
//   - models/gpt2/modeling_gpt2.py: GPT2Model has wte = Embedding(vocab_size,
//     n_embd), wpe = Embedding(n_positions, n_embd), h = [GPT2Block] and
//     ln_f = LayerNorm; GPT2Block has ln_1, attn (GPT2Attention), ln_2, mlp
//     (GPT2MLP); GPT2Attention has c_attn = Conv1D(3·n_embd, n_embd) and
//     c_proj = Conv1D(n_embd, n_embd), and its forward splits c_attn's
//     output with .split(split_size = n_embd, dim=2) into query, key, value
//     in that order; GPT2MLP has c_fc = Conv1D(inner, n_embd) and c_proj =
//     Conv1D(n_embd, inner), with inner = n_inner or 4·n_embd (GPT2Block);
//     attention scores are divided by value.size(-1)**0.5 (the head size)
//     when scale_attn_weights. GPT2LMHeadModel holds GPT2Model as
//     "transformer" (base_model_prefix) and lm_head = Linear(n_embd,
//     vocab_size, bias=False), tied to wte unless tie_word_embeddings is
//     false; files saved from GPT2Model (openai-community/gpt2) lack the
//     "transformer." prefix.
//   - pytorch_utils.py: Conv1D(nf, nx) has weight torch.empty(nx, nf), i.e.
//     [in, out], and computes addmm(bias, x, weight) = x·W + b: the
//     transpose of a Linear's [out, in].
//   - models/gpt2/configuration_gpt2.py: GPT2Config's fields and defaults
//     (vocab_size 50257, n_positions 1024, n_embd 768, n_layer 12, n_head
//     12, n_inner None, activation_function "gelu_new", layer_norm_epsilon
//     1e-5, scale_attn_weights True, bos/eos 50256,
//     scale_attn_by_inverse_layer_idx False); tie_word_embeddings defaults to
//     True (PretrainedConfig).
//
// llama.cpp's convert_hf_to_gguf.py GPT2Model does the same mapping: it
// transposes the c_attn/c_proj/c_fc weights and drops the attn.bias and
// attn.masked_bias buffers, which this loader ignores too.
const (
	hfGPT2Prefix = "transformer."
	hfGPT2WTE    = "wte.weight"
	hfGPT2WPE    = "wpe.weight"
	hfGPT2LnF    = "ln_f"
	hfGPT2Block  = "h.%d.%s"
	hfGPT2Ln1    = "ln_1"
	hfGPT2Ln2    = "ln_2"
	hfGPT2CAttn  = "attn.c_attn"
	hfGPT2CProj  = "attn.c_proj"
	hfGPT2CFc    = "mlp.c_fc"
	hfGPT2MProj  = "mlp.c_proj"
	hfGPT2Head   = "lm_head.weight" // never prefixed
)

// HFGPT2Config is the part of a GPT-2 config.json (transformers'
// GPT2Config, model_type "gpt2") that GPT2LMHeadModel's forward pass
// depends on. ReadHFGPT2Config fills absent fields with GPT2Config's
// defaults.
type HFGPT2Config struct {
	Architectures              []string `json:"architectures"`
	ModelType                  string   `json:"model_type"`
	VocabSize                  int      `json:"vocab_size"`
	NPositions                 int      `json:"n_positions"`
	NEmbd                      int      `json:"n_embd"`
	NLayer                     int      `json:"n_layer"`
	NHead                      int      `json:"n_head"`
	NInner                     *int     `json:"n_inner"` // nil: 4·n_embd
	ActivationFunction         string   `json:"activation_function"`
	LayerNormEpsilon           float64  `json:"layer_norm_epsilon"`
	ScaleAttnWeights           bool     `json:"scale_attn_weights"`
	ScaleAttnByInverseLayerIdx bool     `json:"scale_attn_by_inverse_layer_idx"`
	AddCrossAttention          bool     `json:"add_cross_attention"`
	TieWordEmbeddings          bool     `json:"tie_word_embeddings"`
}

// gpt2Activations are the activation_function values whose function is the
// tanh GELU the runtime computes (transformers' ACT2FN: gelu_new and
// gelu_pytorch_tanh are 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))),
// gelu_fast the same expression factored differently).
var gpt2Activations = map[string]bool{"gelu_new": true, "gelu_pytorch_tanh": true, "gelu_fast": true}

// ParseHFGPT2Config decodes a GPT-2 config.json, starting from GPT2Config's
// defaults so that absent (or null) fields keep them.
func ParseHFGPT2Config(b []byte) (HFGPT2Config, error) {
	hc := HFGPT2Config{VocabSize: 50257, NPositions: 1024, NEmbd: 768, NLayer: 12, NHead: 12,
		ActivationFunction: "gelu_new", LayerNormEpsilon: 1e-5, ScaleAttnWeights: true, TieWordEmbeddings: true}
	if err := json.Unmarshal(b, &hc); err != nil {
		return HFGPT2Config{}, fmt.Errorf("llama: gpt2 config.json: %w", err)
	}
	return hc, nil
}

// ConfigFromHFGPT2 converts a GPT-2 config.json to the runtime's Config
// (Arch ArchGPT2, as gpt2ConfigFromGGUF builds it from a GGUF file): what
// the runtime cannot compute (an activation other than the tanh GELU,
// unscaled or layer-scaled attention, cross-attention) is an error.
func ConfigFromHFGPT2(hc HFGPT2Config) (Config, error) {
	if hc.ModelType != ArchGPT2 {
		return Config{}, fmt.Errorf("llama: config.json model_type %q is not %q", hc.ModelType, ArchGPT2)
	}
	switch {
	case !gpt2Activations[hc.ActivationFunction]:
		return Config{}, fmt.Errorf("llama: gpt2 config.json activation_function %q is not supported (gelu_new, gelu_pytorch_tanh, gelu_fast: the tanh GELU)", hc.ActivationFunction)
	case !hc.ScaleAttnWeights:
		return Config{}, fmt.Errorf("llama: gpt2 config.json scale_attn_weights false is not supported")
	case hc.ScaleAttnByInverseLayerIdx:
		return Config{}, fmt.Errorf("llama: gpt2 config.json scale_attn_by_inverse_layer_idx is not supported")
	case hc.AddCrossAttention:
		return Config{}, fmt.Errorf("llama: gpt2 config.json add_cross_attention is not supported (decoder-only models only)")
	}
	c := Config{
		Arch: ArchGPT2, ContextLength: hc.NPositions, Dim: hc.NEmbd, NumLayers: hc.NLayer, FFNDim: 4 * hc.NEmbd,
		NumHeads: hc.NHead, NumKVHeads: hc.NHead, RMSEps: float32(hc.LayerNormEpsilon),
		RopeBase: 10000, RopeFreqScale: 1, RopeMode: kernels.RoPENormal, VocabSize: hc.VocabSize,
	}
	if hc.NInner != nil {
		c.FFNDim = *hc.NInner
	}
	for _, v := range []struct {
		name string
		v    int
	}{{"n_embd", c.Dim}, {"n_layer", c.NumLayers}, {"n_inner", c.FFNDim}, {"n_head", c.NumHeads},
		{"vocab_size", c.VocabSize}, {"n_positions", c.ContextLength}} {
		if v.v <= 0 || v.v > maxDim {
			return Config{}, fmt.Errorf("llama: gpt2 config.json %s = %d out of range [1, %d]", v.name, v.v, maxDim)
		}
	}
	if c.Dim%c.NumHeads != 0 {
		return Config{}, fmt.Errorf("llama: gpt2 config.json n_embd %d is not a multiple of n_head %d", c.Dim, c.NumHeads)
	}
	if e := hc.LayerNormEpsilon; !(e >= 0) || e > 1 {
		return Config{}, fmt.Errorf("llama: gpt2 config.json layer_norm_epsilon %v is not in [0, 1]", e)
	}
	c.HeadDim = c.Dim / c.NumHeads
	c.RopeDim = c.HeadDim // unused: GPT-2 has learned positions
	return c, nil
}

// gpt2FromSafetensors is FromSafetensors for a config.json of model_type
// "gpt2" (in dir, path's folder): it builds the runtime's GPT-2 (Model.GPT2).
// Conv1D weights ([in, out]) are transposed into the runtime's [out, in]
// rows, in their own dtype (F16/BF16 stay 2-byte); c_attn's rows are split
// into Query, Key and Value views of the one transposed matrix; wte, wpe and
// an untied lm_head are views of the mapped file where the dtype allows.
func gpt2FromSafetensors(path, dir string) (*Model, io.Closer, error) {
	cfg, err := readConfigJSON(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, nil, err
	}
	hc, err := ParseHFGPT2Config(cfg)
	if err != nil {
		return nil, nil, err
	}
	c, err := ConfigFromHFGPT2(hc)
	if err != nil {
		return nil, nil, err
	}
	ck, err := safetensors.OpenCheckpoint(path)
	if err != nil {
		return nil, nil, fmt.Errorf("llama: %w", err)
	}
	m, err := gpt2FromCheckpoint(ck, c, hc.TieWordEmbeddings)
	if err != nil {
		ck.Close()
		return nil, nil, fmt.Errorf("%w (config.json model_type %q)", err, ArchGPT2)
	}
	return m, ck, nil
}

// gpt2FromCheckpoint reads every GPT-2 tensor of c from ck, with or without
// the "transformer." prefix, checking each shape against c.
func gpt2FromCheckpoint(ck *safetensors.Checkpoint, c Config, tied bool) (*Model, error) {
	p := ""
	if _, ok := ck.Tensor(hfGPT2Prefix + hfGPT2WTE); ok {
		p = hfGPT2Prefix
	}
	// Every block has 12 tensors: check the count before allocating for it.
	n := 0
	for _, f := range ck.Files {
		n += len(f.Tensors)
	}
	if c.NumLayers > n/12 {
		return nil, fmt.Errorf("llama: gpt2 n_layer %d, but the checkpoint has only %d tensors", c.NumLayers, n)
	}
	var err error
	vec := func(name string, size int) []float32 {
		if err != nil {
			return nil
		}
		var v []float32
		v, err = stFloat32(ck, p+name, size)
		return v
	}
	mat := func(name string, rows, cols int) Matrix {
		if err != nil {
			return Matrix{}
		}
		var mx Matrix
		mx, err = stMatrix(ck, name, rows, cols)
		return mx
	}
	// conv reads the Conv1D what of block il ([in, out] weight, [out] bias)
	// as an [out, in] matrix with its bias.
	conv := func(il int, what string, in, out int) Matrix {
		if err != nil {
			return Matrix{}
		}
		var mx Matrix
		name := p + fmt.Sprintf(hfGPT2Block, il, what)
		if mx, err = stConv1D(ck, name+".weight", in, out); err == nil {
			mx.Bias, err = stFloat32(ck, name+".bias", out)
		}
		return mx
	}
	block := func(il int, what string) string { return fmt.Sprintf(hfGPT2Block, il, what) }
	w := &Weights{
		TokenEmbd:  mat(p+hfGPT2WTE, c.VocabSize, c.Dim),
		OutputNorm: vec(hfGPT2LnF+".weight", c.Dim),
		Layers:     make([]Layer, c.NumLayers),
	}
	g := &GPT2Weights{
		PosEmbd:     mat(p+hfGPT2WPE, c.ContextLength, c.Dim),
		OutputNormB: vec(hfGPT2LnF+".bias", c.Dim),
		AttnNormB:   make([][]float32, c.NumLayers),
		FFNNormB:    make([][]float32, c.NumLayers),
	}
	if tied {
		w.Output = w.TokenEmbd
	} else {
		w.Output = mat(hfGPT2Head, c.VocabSize, c.Dim)
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		l.AttnNorm, g.AttnNormB[il] = vec(block(il, hfGPT2Ln1)+".weight", c.Dim), vec(block(il, hfGPT2Ln1)+".bias", c.Dim)
		qkv := conv(il, hfGPT2CAttn, c.Dim, 3*c.Dim)
		if err == nil {
			l.Query, l.Key, l.Value = qkv.rows(0, c.Dim), qkv.rows(c.Dim, c.Dim), qkv.rows(2*c.Dim, c.Dim)
		}
		l.AttnOutput = conv(il, hfGPT2CProj, c.Dim, c.Dim)
		l.FFNNorm, g.FFNNormB[il] = vec(block(il, hfGPT2Ln2)+".weight", c.Dim), vec(block(il, hfGPT2Ln2)+".bias", c.Dim)
		l.FFNUp = conv(il, hfGPT2CFc, c.Dim, c.FFNDim)
		l.FFNDown = conv(il, hfGPT2MProj, c.FFNDim, c.Dim)
	}
	if err != nil {
		return nil, err
	}
	return &Model{Config: c, Weights: w, GPT2: g}, nil
}

// stConv1D returns the Conv1D weight name (shape [in, out]) as an [out, in]
// matrix: F32 transposed into float32s, F16/BF16 transposed as 2-byte
// values (the type kept).
func stConv1D(ck *safetensors.Checkpoint, name string, in, out int) (Matrix, error) {
	t, ok := ck.Tensor(name)
	if !ok {
		return Matrix{}, fmt.Errorf("llama: missing tensor %q", name)
	}
	if len(t.Shape) != 2 || t.Shape[0] != uint64(in) || t.Shape[1] != uint64(out) {
		return Matrix{}, fmt.Errorf("llama: tensor %q: shape %v, want [%d %d] (Conv1D: [in, out])", name, t.Shape, in, out)
	}
	mx := Matrix{Rows: out, Cols: in}
	switch t.DType {
	case safetensors.F32:
		v, err := stFloat32(ck, name, in, out)
		if err != nil {
			return Matrix{}, err
		}
		mx.Type, mx.F32 = quant.F32, transpose(v, in, out)
		return mx, nil
	case safetensors.F16:
		mx.Type = quant.F16
	case safetensors.BF16:
		mx.Type = quant.BF16
	default:
		return Matrix{}, fmt.Errorf("llama: tensor %q: dtype %s is not supported (F32, F16, BF16)", name, t.DType)
	}
	b, err := ck.TensorBytes(name)
	if err != nil {
		return Matrix{}, fmt.Errorf("llama: %w", err)
	}
	if len(b) != in*out*2 { // the reader checked this; kept as a guard
		return Matrix{}, fmt.Errorf("llama: tensor %q: %d bytes, want %d", name, len(b), in*out*2)
	}
	// 2-byte values as [2]byte elements (alignment 1: any offset is valid)
	src := unsafe.Slice((*[2]byte)(unsafe.Pointer(unsafe.SliceData(b))), in*out)
	dst := transpose(src, in, out)
	mx.Data = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 2*len(dst))
	return mx, nil
}

// transpose returns the [cols, rows] transpose of src ([rows, cols],
// row-major), in tiles of 32×32 so that both sides stay in cache.
func transpose[T any](src []T, rows, cols int) []T {
	const tile = 32
	dst := make([]T, len(src))
	for r0 := 0; r0 < rows; r0 += tile {
		r1 := min(r0+tile, rows)
		for c0 := 0; c0 < cols; c0 += tile {
			c1 := min(c0+tile, cols)
			for r := r0; r < r1; r++ {
				row := src[r*cols : (r+1)*cols]
				for c := c0; c < c1; c++ {
					dst[c*rows+r] = row[c]
				}
			}
		}
	}
	return dst
}

// checkGPT2HF is checkGPT2Export plus what GPT2LMHeadModel cannot express:
// grouped-query attention (c_attn is 3·n_embd wide) and a head size other
// than n_embd/n_head.
func (m *Model) checkGPT2HF() error {
	if err := m.checkGPT2Export(); err != nil {
		return err
	}
	c := m.Config
	if c.NumKVHeads != c.NumHeads {
		return fmt.Errorf("llama: export: gpt2 with %d key/value heads for %d heads (grouped-query attention) has no HF GPT2LMHeadModel form", c.NumKVHeads, c.NumHeads)
	}
	return nil
}

// gpt2HFConfigJSON returns the config.json of a GPT-2 as transformers'
// GPT2Config writes it (model_type "gpt2", GPT2LMHeadModel), with n_ctx
// beside n_positions (llama.cpp's converter reads n_ctx), n_inner, the tanh
// GELU as "gelu_new", tie_word_embeddings, torch_dtype dtype, and
// bos/eos ids from opts.Tokenizer's tokenizer.ggml.bos_token_id /
// eos_token_id (null when it has none, rather than GPT2Config's 50256).
func (m *Model) gpt2HFConfigJSON(dtype string, opts ExportOptions) ([]byte, error) {
	if err := m.checkGPT2HF(); err != nil {
		return nil, err
	}
	c := m.Config
	tokenID := func(key string) any {
		for _, kv := range opts.Tokenizer {
			if kv.Key == key {
				if v, ok := kv.Value.Uint(); ok {
					return v
				}
			}
		}
		return nil
	}
	cfg := map[string]any{
		"architectures":                   []string{"GPT2LMHeadModel"},
		"model_type":                      ArchGPT2,
		"vocab_size":                      c.VocabSize,
		"n_positions":                     c.ContextLength,
		"n_ctx":                           c.ContextLength,
		"n_embd":                          c.Dim,
		"n_layer":                         c.NumLayers,
		"n_head":                          c.NumHeads,
		"n_inner":                         c.FFNDim,
		"activation_function":             "gelu_new",
		"layer_norm_epsilon":              json.Number(strconv.FormatFloat(float64(c.RMSEps), 'g', -1, 32)),
		"scale_attn_weights":              true,
		"scale_attn_by_inverse_layer_idx": false,
		"reorder_and_upcast_attn":         false,
		"tie_word_embeddings":             m.Weights.tied(),
		"bos_token_id":                    tokenID("tokenizer.ggml.bos_token_id"),
		"eos_token_id":                    tokenID("tokenizer.ggml.eos_token_id"),
		"torch_dtype":                     dtype,
		"attn_pdrop":                      0.0,
		"embd_pdrop":                      0.0,
		"resid_pdrop":                     0.0,
	}
	return configJSON(cfg)
}

// gpt2HFTensors lists a GPT-2's tensors under GPT2LMHeadModel's names (with
// the "transformer." prefix save_pretrained writes): matrices in dtype dt
// (t its quant type), Conv1D weights transposed to [in, out], q/k/v fused
// into c_attn (q, k, v along out), wpe cut to the context length, norms and
// biases F32, lm_head only when untied.
func (m *Model) gpt2HFTensors(t quant.Type, dt safetensors.DType) ([]safetensors.WriteTensor, error) {
	c, w, g := m.Config, m.Weights, m.GPT2
	var ts []safetensors.WriteTensor
	var err error
	vec := func(name string, v []float32) {
		ts = append(ts, safetensors.WriteTensor{Name: name, DType: safetensors.F32, Shape: []uint64{uint64(len(v))}, Data: f32Bytes(v)})
	}
	put := func(name string, x []float32, rows, cols int) {
		var data []byte
		if data, err = safetensorsData(name, t, x); err != nil {
			return
		}
		ts = append(ts, safetensors.WriteTensor{Name: name, DType: dt, Shape: []uint64{uint64(rows), uint64(cols)}, Data: data})
	}
	// linear writes mx ([out, in]) as is, its first rows rows only.
	linear := func(name string, mx *Matrix, rows int) {
		if err != nil {
			return
		}
		var x []float32
		if x, err = mx.float32s(name); err == nil {
			put(name, x[:rows*mx.Cols], rows, mx.Cols)
		}
	}
	// conv writes the [out, in] matrices ms, stacked along out, as one
	// Conv1D: weight [in, out] and bias [out].
	conv := func(name string, ms ...*Matrix) {
		if err != nil {
			return
		}
		var x, bias []float32
		out := 0
		for _, mx := range ms {
			var v []float32
			if v, err = mx.float32s(name); err != nil {
				return
			}
			x, bias, out = append(x, v...), append(bias, mx.Bias...), out+mx.Rows
		}
		in := ms[0].Cols
		put(name+".weight", transpose(x, out, in), in, out)
		vec(name+".bias", bias)
	}
	p := hfGPT2Prefix
	block := func(il int, what string) string { return p + fmt.Sprintf(hfGPT2Block, il, what) }
	linear(p+hfGPT2WTE, &w.TokenEmbd, c.VocabSize)
	linear(p+hfGPT2WPE, &g.PosEmbd, c.ContextLength)
	vec(p+hfGPT2LnF+".weight", w.OutputNorm)
	vec(p+hfGPT2LnF+".bias", g.OutputNormB)
	if !w.tied() {
		linear(hfGPT2Head, &w.Output, c.VocabSize)
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		vec(block(il, hfGPT2Ln1)+".weight", l.AttnNorm)
		vec(block(il, hfGPT2Ln1)+".bias", g.AttnNormB[il])
		conv(block(il, hfGPT2CAttn), &l.Query, &l.Key, &l.Value)
		conv(block(il, hfGPT2CProj), &l.AttnOutput)
		vec(block(il, hfGPT2Ln2)+".weight", l.FFNNorm)
		vec(block(il, hfGPT2Ln2)+".bias", g.FFNNormB[il])
		conv(block(il, hfGPT2CFc), &l.FFNUp)
		conv(block(il, hfGPT2MProj), &l.FFNDown)
	}
	return ts, err
}

// readConfigJSON returns the bytes of config.json at path (at most
// maxConfigSize).
func readConfigJSON(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("llama: %s: %w", path, err)
	}
	if len(b) > maxConfigSize {
		return nil, fmt.Errorf("llama: %s is larger than %d bytes", path, maxConfigSize)
	}
	return b, nil
}
