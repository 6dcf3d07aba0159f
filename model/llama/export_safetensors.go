package llama

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/llmpipe/llmpipe/format/safetensors"
	"github.com/llmpipe/llmpipe/quant"
)

// hfArchitectures maps general.architecture to config.json's model_type and
// architectures entry.
var hfArchitectures = map[string][2]string{
	"llama": {"llama", "LlamaForCausalLM"},
	"qwen2": {"qwen2", "Qwen2ForCausalLM"},
	"qwen3": {"qwen3", "Qwen3ForCausalLM"},
}

// HFConfigJSON returns the config.json of m as transformers writes it for
// LlamaForCausalLM (Qwen2/Qwen3ForCausalLM for those architectures), with
// torch_dtype naming dtype ("float32", "float16", "bfloat16"). RoPE
// frequency factors (rope_freqs) have no config.json form and are an error.
// A GPT-2 gets GPT2LMHeadModel's config.json (gpt2HFConfigJSON).
func (m *Model) HFConfigJSON(dtype string) ([]byte, error) {
	if m.GPT2 != nil {
		return m.gpt2HFConfigJSON(dtype, ExportOptions{})
	}
	c, w := m.Config, m.Weights
	names, ok := hfArchitectures[m.Arch()]
	if !ok {
		return nil, fmt.Errorf("llama: export: architecture %q has no HF equivalent", m.Arch())
	}
	if w.RopeFreqs != nil {
		return nil, fmt.Errorf("llama: export: rope_freqs factors cannot be written to config.json")
	}
	attnBias, err := m.hfAttentionBias()
	if err != nil {
		return nil, err
	}
	// float32 values as their shortest decimal form, so transformers
	// reads back the same float32.
	f32 := func(x float32) json.Number { return json.Number(strconv.FormatFloat(float64(x), 'g', -1, 32)) }
	cfg := map[string]any{
		"architectures":           []string{names[1]},
		"model_type":              names[0],
		"hidden_size":             c.Dim,
		"intermediate_size":       c.FFNDim,
		"num_hidden_layers":       c.NumLayers,
		"num_attention_heads":     c.NumHeads,
		"num_key_value_heads":     c.NumKVHeads,
		"head_dim":                c.HeadDim,
		"rms_norm_eps":            f32(c.RMSEps),
		"rope_theta":              f32(c.RopeBase),
		"max_position_embeddings": c.ContextLength,
		"vocab_size":              c.VocabSize,
		"tie_word_embeddings":     w.tied(),
		"hidden_act":              "silu",
		"attention_bias":          attnBias,
		"mlp_bias":                false,
		"torch_dtype":             dtype,
		"rope_scaling":            nil,
	}
	if c.RopeFreqScale != 1 && c.RopeFreqScale > 0 {
		cfg["rope_scaling"] = map[string]any{"rope_type": "linear", "factor": f32(1 / c.RopeFreqScale)}
	}
	return configJSON(cfg)
}

// hfAttentionBias reports config.json's attention_bias: for llama every
// layer has q/k/v/o biases or none does; qwen2 has q/k/v biases by
// architecture (attention_bias stays false).
func (m *Model) hfAttentionBias() (bool, error) {
	w := m.Weights
	if len(w.Layers) == 0 {
		return false, nil
	}
	has := func(l *Layer) [4]bool {
		return [4]bool{l.Query.Bias != nil, l.Key.Bias != nil, l.Value.Bias != nil, l.AttnOutput.Bias != nil}
	}
	first := has(&w.Layers[0])
	for il := range w.Layers {
		if has(&w.Layers[il]) != first {
			return false, fmt.Errorf("llama: export: layers differ in which attention biases they have")
		}
	}
	switch m.Arch() {
	case "qwen2":
		if first != [4]bool{true, true, true, false} {
			return false, fmt.Errorf("llama: export: qwen2 needs q/k/v biases and no output bias, have %v", first)
		}
		return false, nil
	default:
		if first != [4]bool{} && first != [4]bool{true, true, true, true} {
			return false, fmt.Errorf("llama: export: HF attention_bias needs q/k/v/o biases together, have %v", first)
		}
		return first[0], nil
	}
}

// WriteSafetensors writes m into dir (created if needed) as a HF checkpoint:
// config.json (see HFConfigJSON) and model.safetensors with
// LlamaForCausalLM's tensor names, each file through a temporary file in dir
// renamed into place. opts.Type picks the matrices' dtype: F32 (the zero
// value), F16 or BF16; norms and biases stay F32, as transformers keeps
// them when it saves. For llama the q_proj/k_proj rows (and biases) are put
// back in HF's rotate_half order, the inverse of what FromSafetensors and
// llama.cpp's converter do, so HF tools and FromSafetensors load it with
// the same logits. A tied output is left out (tie_word_embeddings). A GPT-2
// (m.GPT2 set) is written as GPT2LMHeadModel (gpt2HFConfigJSON,
// gpt2HFTensors).
func (m *Model) WriteSafetensors(dir string, opts ExportOptions) error {
	var dt safetensors.DType
	var dtype string
	switch opts.Type {
	case quant.F32:
		dt, dtype = safetensors.F32, "float32"
	case quant.F16:
		dt, dtype = safetensors.F16, "float16"
	case quant.BF16:
		dt, dtype = safetensors.BF16, "bfloat16"
	default:
		return fmt.Errorf("llama: export: safetensors dtype %v is not supported (F32, F16, BF16)", opts.Type)
	}
	var cfg []byte
	var ts []safetensors.WriteTensor
	var err error
	if m.GPT2 != nil { // GPT2LMHeadModel: gpt2_hf.go
		if cfg, err = m.gpt2HFConfigJSON(dtype, opts); err == nil {
			ts, err = m.gpt2HFTensors(opts.Type, dt)
		}
	} else if err = m.checkExport(); err == nil {
		if cfg, err = m.HFConfigJSON(dtype); err == nil {
			ts, err = m.hfTensors(opts.Type, dt)
		}
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("llama: export: %w", err)
	}
	var meta map[string]string
	if opts.Name != "" {
		meta = map[string]string{"format": "pt", "name": opts.Name}
	} else {
		meta = map[string]string{"format": "pt"}
	}
	var st bytes.Buffer
	if _, err := safetensors.Write(&st, ts, meta); err != nil {
		return fmt.Errorf("llama: export: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, "model.safetensors"), st.Bytes()); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "config.json"), cfg)
}

// safetensorsData is the matrix x (name, for errors) as the bytes of a
// safetensors tensor of type t: F32, or F16/BF16 through quant.Quantize.
func safetensorsData(name string, t quant.Type, x []float32) ([]byte, error) {
	if t == quant.F32 {
		return f32Bytes(x), nil
	}
	data := make([]byte, 2*len(x))
	if _, err := quant.Quantize(t, x, data); err != nil {
		return nil, fmt.Errorf("llama: export: %s: %w", name, err)
	}
	return data, nil
}

// hfTensors lists m's tensors under their HF names: matrices in t (dtype
// dt), vectors as F32.
func (m *Model) hfTensors(t quant.Type, dt safetensors.DType) ([]safetensors.WriteTensor, error) {
	c, w := m.Config, m.Weights
	var ts []safetensors.WriteTensor
	var err error
	vec := func(name string, v []float32) {
		if v != nil {
			ts = append(ts, safetensors.WriteTensor{Name: name, DType: safetensors.F32, Shape: []uint64{uint64(len(v))}, Data: f32Bytes(v)})
		}
	}
	// mat writes matrix mx as name; ropeHeads > 0 re-applies HF's
	// rotate_half row order (llama only).
	mat := func(name string, mx *Matrix, ropeHeads int) {
		if err != nil {
			return
		}
		var x []float32
		if x, err = mx.float32s(name); err != nil {
			return
		}
		if ropeHeads > 0 && c.ropeNormal() {
			x = rotateHalfRows(x, mx.Rows, ropeHeads, c.HeadDim)
		}
		var data []byte
		if data, err = safetensorsData(name, t, x); err != nil {
			return
		}
		ts = append(ts, safetensors.WriteTensor{Name: name, DType: dt, Shape: []uint64{uint64(mx.Rows), uint64(mx.Cols)}, Data: data})
		if mx.Bias != nil {
			b := mx.Bias
			if ropeHeads > 0 && c.ropeNormal() {
				b = rotateHalfRows(b, len(b), ropeHeads, c.HeadDim)
			}
			vec(name[:len(name)-len("weight")]+"bias", b)
		}
	}
	name := func(il int, what string) string { return fmt.Sprintf(hfLayer, il, what) }
	mat(hfEmbed, &w.TokenEmbd, 0)
	vec(hfNorm, w.OutputNorm)
	if !w.tied() {
		mat(hfLMHead, &w.Output, 0)
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		vec(name(il, hfAttnNrm), l.AttnNorm)
		vec(name(il, hfFFNNrm), l.FFNNorm)
		mat(name(il, hfQ), &l.Query, c.NumHeads)
		mat(name(il, hfK), &l.Key, c.NumKVHeads)
		mat(name(il, hfV), &l.Value, 0)
		mat(name(il, hfO), &l.AttnOutput, 0)
		mat(name(il, hfGate), &l.FFNGate, 0)
		mat(name(il, hfUp), &l.FFNUp, 0)
		mat(name(il, hfDown), &l.FFNDown, 0)
		vec(name(il, hfQNorm), l.QNorm)
		vec(name(il, hfKNorm), l.KNorm)
	}
	return ts, err
}

// rotateHalfRows is the inverse of unrotateRows: interleaved row
// h·hd+2i+j goes back to HF row h·hd+j·hd/2+i.
func rotateHalfRows[T any](src []T, rows, nHeads, hd int) []T {
	rb := len(src) / rows
	dst := make([]T, len(src))
	copy(dst, src) // rows beyond nHeads·hd (none for q/k) stay
	for h := 0; h < nHeads; h++ {
		for i := 0; i < hd/2; i++ {
			for j := 0; j < 2; j++ {
				from, to := h*hd+2*i+j, h*hd+j*hd/2+i
				copy(dst[to*rb:(to+1)*rb], src[from*rb:(from+1)*rb])
			}
		}
	}
	return dst
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory: written, synced, renamed over path, and the directory synced,
// so path never holds a partial file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("llama: export: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		return fmt.Errorf("llama: export: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("llama: export: %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("llama: export: %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("llama: export: %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("llama: export: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// configJSON encodes an HF config.json: two-space indented, one trailing
// newline.
func configJSON(cfg map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cfg); err != nil {
		return nil, fmt.Errorf("llama: export: config.json: %w", err)
	}
	return buf.Bytes(), nil
}
