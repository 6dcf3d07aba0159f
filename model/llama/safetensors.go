package llama

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/llmpipe/llmpipe/format/safetensors"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// HFConfig is the part of a Hugging Face config.json (transformers'
// LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config) that a
// LlamaForCausalLM-family checkpoint needs. Pointer fields are optional;
// their defaults are LlamaConfig's. For model_type "mistral" (and qwen2/qwen3
// with use_sliding_window) the context length is capped at sliding_window,
// inside which their attention is Llama's.
type HFConfig struct {
	Architectures         []string       `json:"architectures"`
	ModelType             string         `json:"model_type"`
	HiddenSize            int            `json:"hidden_size"`
	IntermediateSize      int            `json:"intermediate_size"`
	NumHiddenLayers       int            `json:"num_hidden_layers"`
	NumAttentionHeads     int            `json:"num_attention_heads"`
	NumKeyValueHeads      *int           `json:"num_key_value_heads"`
	HeadDim               *int           `json:"head_dim"`
	RMSNormEps            *float64       `json:"rms_norm_eps"`            // default 1e-6
	RopeTheta             *float64       `json:"rope_theta"`              // default 10000
	MaxPositionEmbeddings *int           `json:"max_position_embeddings"` // default 2048
	VocabSize             int            `json:"vocab_size"`
	TieWordEmbeddings     bool           `json:"tie_word_embeddings"`
	HiddenAct             string         `json:"hidden_act"`
	AttentionBias         bool           `json:"attention_bias"`
	MLPBias               bool           `json:"mlp_bias"`
	SlidingWindow         *int           `json:"sliding_window"`     // Mistral; null or absent for Llama
	UseSlidingWindow      bool           `json:"use_sliding_window"` // Qwen2/3: whether sliding_window applies
	RopeScaling           *HFRopeScaling `json:"rope_scaling"`
}

// HFRopeScaling is config.json's rope_scaling: {"rope_type": "linear",
// "factor": F} or Llama 3.1's {"rope_type": "llama3", "factor": 8,
// "low_freq_factor": 1, "high_freq_factor": 4,
// "original_max_position_embeddings": 8192}. Older files say "type".
type HFRopeScaling struct {
	Type                          string   `json:"type"`
	RopeType                      string   `json:"rope_type"`
	Factor                        float64  `json:"factor"`
	LowFreqFactor                 *float64 `json:"low_freq_factor"`
	HighFreqFactor                *float64 `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings *int     `json:"original_max_position_embeddings"`
}

// hfModelTypes maps the model_type values whose checkpoints use Llama's
// tensor names and forward pass to the GGUF architecture they run as.
var hfModelTypes = map[string]string{"llama": "llama", "mistral": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}

// ConfigFromHF converts an HF config.json to a Config. For llama and mistral
// RoPE is the normal (adjacent pairs) ordering: FromSafetensors permutes the
// rows of q_proj and k_proj from HF's rotate_half layout at load, as
// llama.cpp's converter does, so the forward pass is the GGUF one. qwen2 and
// qwen3 keep HF's layout and use the NeoX ordering, as llama.cpp does for
// them.
func ConfigFromHF(hc HFConfig) (Config, error) {
	arch, ok := hfModelTypes[hc.ModelType]
	if !ok {
		return Config{}, fmt.Errorf("llama: config.json model_type %q (architectures %v) is not a Llama-family model", hc.ModelType, hc.Architectures)
	}
	if hc.MLPBias {
		return Config{}, fmt.Errorf("llama: config.json asks for MLP biases (mlp_bias), which are not supported")
	}
	if hc.HiddenAct != "" && hc.HiddenAct != "silu" {
		return Config{}, fmt.Errorf("llama: config.json hidden_act %q is not supported (only silu)", hc.HiddenAct)
	}
	c := Config{
		Arch:          arch,
		ContextLength: 2048,
		Dim:           hc.HiddenSize,
		NumLayers:     hc.NumHiddenLayers,
		FFNDim:        hc.IntermediateSize,
		NumHeads:      hc.NumAttentionHeads,
		NumKVHeads:    hc.NumAttentionHeads,
		RMSEps:        1e-6,
		RopeBase:      10000,
		RopeFreqScale: 1,
		RopeMode:      ropeModes[arch],
		VocabSize:     hc.VocabSize,
	}
	if hc.MaxPositionEmbeddings != nil {
		c.ContextLength = *hc.MaxPositionEmbeddings
	}
	if w := hc.SlidingWindow; w != nil && *w > 0 && *w < c.ContextLength && (arch == "llama" || hc.UseSlidingWindow) {
		// Within the window sliding-window attention is full causal
		// attention: the context is limited to it so results stay exact.
		c.ContextLength = *w
	}
	if hc.NumKeyValueHeads != nil {
		c.NumKVHeads = *hc.NumKeyValueHeads
	}
	if hc.RMSNormEps != nil {
		c.RMSEps = float32(*hc.RMSNormEps)
	}
	if hc.RopeTheta != nil {
		c.RopeBase = float32(*hc.RopeTheta)
	}
	for _, v := range []struct {
		name string
		v    int
	}{{"hidden_size", c.Dim}, {"num_hidden_layers", c.NumLayers}, {"intermediate_size", c.FFNDim},
		{"num_attention_heads", c.NumHeads}, {"num_key_value_heads", c.NumKVHeads}, {"vocab_size", c.VocabSize},
		{"max_position_embeddings", c.ContextLength}} {
		if v.v <= 0 || v.v > maxDim {
			return Config{}, fmt.Errorf("llama: config.json %s = %d out of range [1, %d]", v.name, v.v, maxDim)
		}
	}
	c.HeadDim = c.Dim / c.NumHeads
	if hc.HeadDim != nil {
		c.HeadDim = *hc.HeadDim
	} else if c.Dim%c.NumHeads != 0 {
		return Config{}, fmt.Errorf("llama: config.json hidden_size %d is not a multiple of num_attention_heads %d", c.Dim, c.NumHeads)
	}
	c.RopeDim = c.HeadDim
	if rs := hc.RopeScaling; rs != nil {
		typ := rs.RopeType
		if typ == "" {
			typ = rs.Type
		}
		switch typ {
		case "default", "":
		case "linear":
			if !(rs.Factor > 0) {
				return Config{}, fmt.Errorf("llama: config.json rope_scaling linear factor %v must be positive", rs.Factor)
			}
			c.RopeFreqScale = float32(1 / rs.Factor)
		case "llama3":
			// Handled by llama3RopeFactors when the weights are read.
			if !(rs.Factor > 0) {
				return Config{}, fmt.Errorf("llama: config.json rope_scaling llama3 factor %v must be positive", rs.Factor)
			}
		default:
			return Config{}, fmt.Errorf("llama: config.json rope_scaling type %q is not supported (linear, llama3)", typ)
		}
	}
	switch {
	case c.HeadDim <= 0 || c.HeadDim%2 != 0 || c.NumHeads*c.HeadDim > maxDim:
		return Config{}, fmt.Errorf("llama: config.json head size %d must be even and positive", c.HeadDim)
	case c.NumHeads%c.NumKVHeads != 0:
		return Config{}, fmt.Errorf("llama: config.json num_attention_heads %d is not a multiple of num_key_value_heads %d", c.NumHeads, c.NumKVHeads)
	case !(c.RMSEps >= 0) || !(c.RopeBase > 0):
		return Config{}, fmt.Errorf("llama: config.json rms_norm_eps %v / rope_theta %v out of range", c.RMSEps, c.RopeBase)
	}
	return c, nil
}

// HF tensor names of LlamaForCausalLM.
const (
	hfEmbed     = "model.embed_tokens.weight"
	hfNorm      = "model.norm.weight"
	hfLMHead    = "lm_head.weight"
	hfLayer     = "model.layers.%d.%s.weight"
	hfLayerBias = "model.layers.%d.%s.bias"
	hfQ         = "self_attn.q_proj"
	hfK         = "self_attn.k_proj"
	hfV         = "self_attn.v_proj"
	hfO         = "self_attn.o_proj"
	hfGate      = "mlp.gate_proj"
	hfUp        = "mlp.up_proj"
	hfDown      = "mlp.down_proj"
	hfAttnNrm   = "input_layernorm"
	hfFFNNrm    = "post_attention_layernorm"
	hfQNorm     = "self_attn.q_norm" // Qwen3
	hfKNorm     = "self_attn.k_norm" // Qwen3
)

// maxConfigSize caps config.json.
const maxConfigSize = 16 << 20

// FromSafetensors loads a LlamaForCausalLM-family checkpoint (model_type
// llama, mistral, qwen2, qwen3) or a GPT2LMHeadModel one (model_type gpt2,
// run as the runtime's GPT-2: see gpt2FromSafetensors): path is a directory holding config.json and
// model.safetensors (or model.safetensors.index.json with its shards), or
// one .safetensors file with config.json beside it. F32, F16 and BF16
// tensors are accepted: F16/BF16 matrices stay in the mapped file and are
// multiplied as ggml multiplies them; aligned F32 tensors are views of the
// mapped file. For llama and mistral, q_proj and k_proj rows are permuted
// from HF's rotate_half (NeoX) layout to the interleaved one, the reverse of
// the permutation transformers' convert_llama_weights_to_hf applies and the
// one llama.cpp's convert_hf_to_gguf applies, so logits equal the GGUF
// path's; qwen2/qwen3 keep HF's layout with NeoX RoPE, as llama.cpp does.
//
// The returned Closer releases the files; the model must not be used after
// it is closed. The CLI's `run --model DIR` calls this when DIR (or the
// file's directory) holds config.json.
func FromSafetensors(path string) (*Model, io.Closer, error) {
	dir := path
	if st, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("llama: %w", err)
	} else if !st.IsDir() {
		dir = filepath.Dir(path)
	}
	hc, err := readHFConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, nil, err
	}
	if hc.ModelType == ArchGPT2 {
		return gpt2FromSafetensors(path, dir) // GPT2LMHeadModel: gpt2_hf.go
	}
	c, err := ConfigFromHF(hc)
	if err != nil {
		return nil, nil, err
	}
	ck, err := safetensors.OpenCheckpoint(path)
	if err != nil {
		return nil, nil, fmt.Errorf("llama: %w", err)
	}
	w, err := weightsFromSafetensors(ck, &c, hc)
	if err != nil {
		ck.Close()
		return nil, nil, err
	}
	return &Model{Config: c, Weights: w}, ck, nil
}

func readHFConfig(path string) (HFConfig, error) {
	fh, err := os.Open(path)
	if err != nil {
		return HFConfig{}, fmt.Errorf("llama: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxConfigSize+1))
	if err != nil {
		return HFConfig{}, fmt.Errorf("llama: %s: %w", path, err)
	}
	if len(b) > maxConfigSize {
		return HFConfig{}, fmt.Errorf("llama: %s is larger than %d bytes", path, maxConfigSize)
	}
	var hc HFConfig
	if err := json.Unmarshal(b, &hc); err != nil {
		return HFConfig{}, fmt.Errorf("llama: %s: %w", path, err)
	}
	return hc, nil
}

// weightsFromSafetensors reads every tensor of c from ck, checking shapes
// against c (vocab_size against model.embed_tokens.weight): attention
// biases for qwen2 (q/k/v) and for attention_bias (q/k/v/o), per-head q/k
// norms for qwen3, and Llama 3.1's RoPE factors from rope_scaling.
func weightsFromSafetensors(ck *safetensors.Checkpoint, c *Config, hc HFConfig) (*Weights, error) {
	tied := hc.TieWordEmbeddings
	if t, ok := ck.Tensor(hfEmbed); ok && (len(t.Shape) != 2 || t.Shape[0] != uint64(c.VocabSize)) {
		return nil, fmt.Errorf("llama: tensor %q: shape %v, want [vocab_size %d, hidden_size %d]", hfEmbed, t.Shape, c.VocabSize, c.Dim)
	}
	qDim, kvDim := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	var err error
	vec := func(name string, n int) []float32 {
		if err != nil {
			return nil
		}
		var v []float32
		v, err = stFloat32(ck, name, n)
		return v
	}
	mat := func(name string, rows, cols, ropeHeads int) Matrix {
		if err != nil {
			return Matrix{}
		}
		var m Matrix
		m, err = stMatrix(ck, name, rows, cols)
		if err == nil && ropeHeads > 0 && c.RopeMode == kernels.RoPENormal {
			unrotateHalf(&m, ropeHeads, c.HeadDim)
		}
		return m
	}
	// bias reads the bias of matrix what in layer il ([n]); q/k biases
	// (ropeHeads > 0) are permuted like their matrices' rows.
	bias := func(il int, what string, n, ropeHeads int) []float32 {
		if err != nil {
			return nil
		}
		var v []float32
		v, err = stFloat32(ck, fmt.Sprintf(hfLayerBias, il, what), n)
		if err == nil && ropeHeads > 0 && c.RopeMode == kernels.RoPENormal {
			v = unrotateRows(v, n, ropeHeads, c.HeadDim)
		}
		return v
	}
	name := func(il int, what string) string { return fmt.Sprintf(hfLayer, il, what) }
	emb := mat(hfEmbed, c.VocabSize, c.Dim, 0)
	if err != nil {
		return nil, err
	}
	// Every layer has 9 tensors: check the count before allocating for it.
	n := 0
	for _, f := range ck.Files {
		n += len(f.Tensors)
	}
	if c.NumLayers > n/9 {
		return nil, fmt.Errorf("llama: num_hidden_layers %d, but the checkpoint has only %d tensors", c.NumLayers, n)
	}
	w := &Weights{
		TokenEmbd:  emb,
		OutputNorm: vec(hfNorm, c.Dim),
		Layers:     make([]Layer, c.NumLayers),
	}
	if _, ok := ck.Tensor(hfLMHead); ok || !tied {
		w.Output = mat(hfLMHead, c.VocabSize, c.Dim, 0)
	} else {
		w.Output = w.TokenEmbd
	}
	for il := range w.Layers {
		w.Layers[il] = Layer{
			AttnNorm:   vec(name(il, hfAttnNrm), c.Dim),
			Query:      mat(name(il, hfQ), qDim, c.Dim, c.NumHeads),
			Key:        mat(name(il, hfK), kvDim, c.Dim, c.NumKVHeads),
			Value:      mat(name(il, hfV), kvDim, c.Dim, 0),
			AttnOutput: mat(name(il, hfO), c.Dim, qDim, 0),
			FFNNorm:    vec(name(il, hfFFNNrm), c.Dim),
			FFNGate:    mat(name(il, hfGate), c.FFNDim, c.Dim, 0),
			FFNUp:      mat(name(il, hfUp), c.FFNDim, c.Dim, 0),
			FFNDown:    mat(name(il, hfDown), c.Dim, c.FFNDim, 0),
		}
		l := &w.Layers[il]
		if c.Arch == "qwen2" || hc.AttentionBias {
			l.Query.Bias = bias(il, hfQ, qDim, c.NumHeads)
			l.Key.Bias = bias(il, hfK, kvDim, c.NumKVHeads)
			l.Value.Bias = bias(il, hfV, kvDim, 0)
		}
		if hc.AttentionBias {
			l.AttnOutput.Bias = bias(il, hfO, c.Dim, 0)
		}
		if c.Arch == "qwen3" {
			l.QNorm = vec(name(il, hfQNorm), c.HeadDim)
			l.KNorm = vec(name(il, hfKNorm), c.HeadDim)
		}
	}
	if err != nil {
		return nil, err
	}
	w.RopeFreqs = llama3RopeFactors(hc, c)
	return w, nil
}

// llama3RopeFactors returns the RoPE frequency factors of rope_scaling
// {"rope_type": "llama3", ...} (Llama 3.1+), computed as llama.cpp's
// convert_hf_to_gguf.py does for its rope_freqs.weight tensor: for pair i
// with wavelength λ = 2π·base^(2i/d), 1 when λ < L/high_freq_factor, factor
// when λ > L/low_freq_factor, and 1/((1-s)/factor + s) in between, with
// s = (L/λ - low)/(high - low) and L = original_max_position_embeddings
// (defaults 1, 4, 8192). It returns nil for any other scaling.
func llama3RopeFactors(hc HFConfig, c *Config) []float32 {
	rs := hc.RopeScaling
	if rs == nil || (rs.RopeType != "llama3" && rs.Type != "llama3") {
		return nil
	}
	low, high, origCtx := 1.0, 4.0, 8192.0
	if rs.LowFreqFactor != nil {
		low = *rs.LowFreqFactor
	}
	if rs.HighFreqFactor != nil {
		high = *rs.HighFreqFactor
	}
	if rs.OriginalMaxPositionEmbeddings != nil {
		origCtx = float64(*rs.OriginalMaxPositionEmbeddings)
	}
	lowWavelen, highWavelen := origCtx/low, origCtx/high
	factors := make([]float32, c.RopeDim/2)
	for i := range factors {
		// freq in float32 as torch computes it: 1/base^(2i/d)
		freq := float64(float32(1 / math.Pow(float64(c.RopeBase), float64(float32(2*i)/float32(c.RopeDim)))))
		wavelen := 2 * math.Pi / freq
		switch {
		case wavelen < highWavelen:
			factors[i] = 1
		case wavelen > lowWavelen:
			factors[i] = float32(rs.Factor)
		default:
			smooth := (origCtx/wavelen - low) / (high - low)
			factors[i] = float32(1 / ((1-smooth)/rs.Factor + smooth))
		}
	}
	return factors
}

// stFloat32 returns tensor name as float32 after checking that its shape is
// exactly shape (row-major, outermost first). Aligned F32 data is a view of
// the mapping; F16 and BF16 are converted; any other
// dtype is an error naming the tensor and dtype.
func stFloat32(ck *safetensors.Checkpoint, name string, shape ...int) ([]float32, error) {
	t, ok := ck.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("llama: missing tensor %q", name)
	}
	same := len(t.Shape) == len(shape)
	n := 1 // each dim ≤ maxDim = 2^24 and at most 2 dims: fits
	for i := 0; same && i < len(shape); i++ {
		same = t.Shape[i] == uint64(shape[i])
		n *= shape[i]
	}
	if !same {
		return nil, fmt.Errorf("llama: tensor %q: shape %v, want %v", name, t.Shape, shape)
	}
	switch t.DType {
	case safetensors.F32, safetensors.F16, safetensors.BF16:
	default:
		return nil, fmt.Errorf("llama: tensor %q: dtype %s is not supported (F32, F16, BF16)", name, t.DType)
	}
	b, err := ck.TensorBytes(name)
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	if len(b) != n*t.DType.Size() { // the reader checked this; kept as a guard
		return nil, fmt.Errorf("llama: tensor %q: %d bytes, want %d", name, len(b), n*t.DType.Size())
	}
	if t.DType == safetensors.F32 {
		if v, ok := tensor.F32View(b); ok {
			return v, nil
		}
	}
	out := make([]float32, n)
	switch t.DType {
	case safetensors.F32:
		tensor.F32BytesToF32(out, b)
	case safetensors.F16:
		tensor.F16BytesToF32(out, b)
	case safetensors.BF16:
		tensor.BF16BytesToF32(out, b)
	}
	return out, nil
}

// unrotateHalf reorders the rows of an HF q_proj/k_proj weight m ([nHeads·hd,
// cols], replaced by a reordered copy) from the rotate_half layout, where
// head row i pairs with row i+hd/2, to the interleaved layout, where rows 2i
// and 2i+1 pair: interleaved row h·hd+2i+j is HF row h·hd+j·hd/2+i. This is
// llama.cpp's convert_hf_to_gguf permute (reshape(n_head, 2, hd/2, cols),
// swap axes 1 and 2).
func unrotateHalf(m *Matrix, nHeads, hd int) {
	if m.Type == quant.F32 {
		m.F32 = unrotateRows(m.F32, m.Rows, nHeads, hd)
	} else {
		m.Data = unrotateRows(m.Data, m.Rows, nHeads, hd)
	}
}

// unrotateRows returns a copy of src (rows equal-sized rows) with its rows
// reordered as unrotateHalf describes.
func unrotateRows[T any](src []T, rows, nHeads, hd int) []T {
	rb := len(src) / rows
	dst := make([]T, len(src))
	for h := 0; h < nHeads; h++ {
		for i := 0; i < hd/2; i++ {
			for j := 0; j < 2; j++ {
				to, from := h*hd+2*i+j, h*hd+j*hd/2+i
				copy(dst[to*rb:(to+1)*rb], src[from*rb:(from+1)*rb])
			}
		}
	}
	return dst
}

// stMatrix returns the matrix tensor name with shape [rows, cols]: F32 as
// float32 (a view of the mapping where aligned), F16 and BF16 as the
// checkpoint's bytes (a view of the mapping), multiplied as ggml multiplies
// F16/BF16 matrices.
func stMatrix(ck *safetensors.Checkpoint, name string, rows, cols int) (Matrix, error) {
	t, ok := ck.Tensor(name)
	if !ok {
		return Matrix{}, fmt.Errorf("llama: missing tensor %q", name)
	}
	m := Matrix{Type: quant.F32, Rows: rows, Cols: cols}
	var qt quant.Type
	switch t.DType {
	case safetensors.F32:
		v, err := stFloat32(ck, name, rows, cols)
		m.F32 = v
		return m, err
	case safetensors.F16:
		qt = quant.F16
	case safetensors.BF16:
		qt = quant.BF16
	default:
		return Matrix{}, fmt.Errorf("llama: tensor %q: dtype %s is not supported (F32, F16, BF16)", name, t.DType)
	}
	if len(t.Shape) != 2 || t.Shape[0] != uint64(rows) || t.Shape[1] != uint64(cols) {
		return Matrix{}, fmt.Errorf("llama: tensor %q: shape %v, want [%d %d]", name, t.Shape, rows, cols)
	}
	b, err := ck.TensorBytes(name)
	if err != nil {
		return Matrix{}, fmt.Errorf("llama: %w", err)
	}
	if len(b) != rows*cols*2 { // the reader checked this; kept as a guard
		return Matrix{}, fmt.Errorf("llama: tensor %q: %d bytes, want %d", name, len(b), rows*cols*2)
	}
	m.Type, m.Data = qt, b
	return m, nil
}
