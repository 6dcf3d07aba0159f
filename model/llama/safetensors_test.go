package llama

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/format/safetensors"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// rotateHalf is the inverse of unrotateHalf on a copy: it turns interleaved
// (GGUF) q/k rows into HF's rotate_half layout, as transformers'
// convert_llama_weights_to_hf permute does. HF row h·hd+j·hd/2+i is GGUF row
// h·hd+2i+j.
func rotateHalf(w []float32, nHeads, hd, cols int) []float32 {
	out := make([]float32, len(w))
	for h := 0; h < nHeads; h++ {
		for i := 0; i < hd/2; i++ {
			for j := 0; j < 2; j++ {
				dst, src := h*hd+j*hd/2+i, h*hd+2*i+j
				copy(out[dst*cols:(dst+1)*cols], w[src*cols:(src+1)*cols])
			}
		}
	}
	return out
}

func encode(v []float32, dt safetensors.DType) []byte {
	b := make([]byte, len(v)*dt.Size())
	for i, x := range v {
		switch dt {
		case safetensors.F32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		case safetensors.F16:
			binary.LittleEndian.PutUint16(b[2*i:], tensor.F32ToF16(x))
		case safetensors.BF16:
			binary.LittleEndian.PutUint16(b[2*i:], tensor.F32ToBF16(x))
		}
	}
	return b
}

// writeHF writes m (F32 weights) as an HF LlamaForCausalLM checkpoint in a
// new directory: config.json and model.safetensors, or with shards > 1 that
// many shard files and model.safetensors.index.json. q_proj/k_proj get the
// rotate_half row order; lm_head is omitted when tied.
func writeHF(t *testing.T, m *Model, tied bool, dt safetensors.DType, shards int) string {
	t.Helper()
	c, w := m.Config, m.Weights
	dir := t.TempDir()
	modelType, rotate := "llama", rotateHalf
	if c.Arch != "" && c.Arch != "llama" { // qwen2, qwen3: HF's layout is the GGUF one (NeoX RoPE)
		modelType = c.Arch
		rotate = func(w []float32, _, _, _ int) []float32 { return w }
	}
	cfg := map[string]any{
		"architectures": []string{"LlamaForCausalLM"}, "model_type": modelType,
		"hidden_size": c.Dim, "intermediate_size": c.FFNDim, "num_hidden_layers": c.NumLayers,
		"num_attention_heads": c.NumHeads, "num_key_value_heads": c.NumKVHeads,
		"rms_norm_eps": c.RMSEps, "rope_theta": c.RopeBase, "max_position_embeddings": c.ContextLength,
		"vocab_size": c.VocabSize, "tie_word_embeddings": tied, "hidden_act": "silu", "torch_dtype": "float32",
	}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.WriteTensor
	add := func(name string, v []float32, shape ...uint64) {
		ts = append(ts, safetensors.WriteTensor{Name: name, DType: dt, Shape: shape, Data: encode(v, dt)})
	}
	mat := func(name string, m Matrix) { add(name, m.F32, uint64(m.Rows), uint64(m.Cols)) }
	add(hfNorm, w.OutputNorm, uint64(c.Dim))
	mat(hfEmbed, w.TokenEmbd)
	if !tied {
		mat(hfLMHead, w.Output)
	}
	for il, l := range w.Layers {
		n := func(what string) string { return fmt.Sprintf(hfLayer, il, what) }
		add(n(hfAttnNrm), l.AttnNorm, uint64(c.Dim))
		add(n(hfFFNNrm), l.FFNNorm, uint64(c.Dim))
		add(n(hfQ), rotate(l.Query.F32, c.NumHeads, c.HeadDim, c.Dim), uint64(l.Query.Rows), uint64(c.Dim))
		add(n(hfK), rotate(l.Key.F32, c.NumKVHeads, c.HeadDim, c.Dim), uint64(l.Key.Rows), uint64(c.Dim))
		for _, b := range []struct {
			what string
			m    Matrix
		}{{hfQ, l.Query}, {hfK, l.Key}, {hfV, l.Value}} {
			if b.m.Bias != nil {
				add(fmt.Sprintf(hfLayerBias, il, b.what), b.m.Bias, uint64(len(b.m.Bias)))
			}
		}
		if l.QNorm != nil {
			add(n(hfQNorm), l.QNorm, uint64(c.HeadDim))
			add(n(hfKNorm), l.KNorm, uint64(c.HeadDim))
		}
		mat(n(hfV), l.Value)
		mat(n(hfO), l.AttnOutput)
		mat(n(hfGate), l.FFNGate)
		mat(n(hfUp), l.FFNUp)
		mat(n(hfDown), l.FFNDown)
	}
	write := func(name string, part []safetensors.WriteTensor) {
		fh, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := safetensors.Write(fh, part, map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
		if err := fh.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if shards <= 1 {
		write(safetensors.SingleFile, ts)
		return dir
	}
	weightMap := map[string]string{}
	per := (len(ts) + shards - 1) / shards
	for s := 0; s < shards; s++ {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", s+1, shards)
		part := ts[s*per : min((s+1)*per, len(ts))]
		for _, x := range part {
			weightMap[x.Name] = name
		}
		write(name, part)
	}
	b, _ = json.Marshal(map[string]any{"metadata": map[string]any{}, "weight_map": weightMap})
	if err := os.WriteFile(filepath.Join(dir, safetensors.IndexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rounded is a copy of m (F32 weights) with every weight rounded to dt.
func rounded(m *Model, dt safetensors.DType) *Model {
	r := func(v []float32) []float32 {
		out := make([]float32, len(v))
		b := encode(v, dt)
		if dt == safetensors.F16 {
			tensor.F16BytesToF32(out, b)
		} else {
			tensor.BF16BytesToF32(out, b)
		}
		return out
	}
	// Matrices are stored in the type, as the loader keeps them, so that
	// they are multiplied the same way (activations rounded to it too).
	mat := func(x Matrix) Matrix {
		x.Data, x.F32 = encode(x.F32, dt), nil
		x.Type = quant.F16
		if dt == safetensors.BF16 {
			x.Type = quant.BF16
		}
		return x
	}
	w := *m.Weights
	w.TokenEmbd, w.Output, w.OutputNorm = mat(w.TokenEmbd), mat(w.Output), r(w.OutputNorm)
	w.Layers = append([]Layer(nil), w.Layers...)
	for i := range w.Layers {
		l := &w.Layers[i]
		l.AttnNorm, l.FFNNorm = r(l.AttnNorm), r(l.FFNNorm)
		l.Query, l.Key, l.Value, l.AttnOutput = mat(l.Query), mat(l.Key), mat(l.Value), mat(l.AttnOutput)
		l.FFNGate, l.FFNUp, l.FFNDown = mat(l.FFNGate), mat(l.FFNUp), mat(l.FFNDown)
	}
	return &Model{Config: m.Config, Weights: &w}
}

func loadHF(t *testing.T, path string) *Model {
	t.Helper()
	m, c, err := FromSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return m
}

// maxLogitDiff runs tokens through both models in one batch and returns the
// largest |Δlogit| over every position.
func maxLogitDiff(t *testing.T, a, b *Model, tokens []int) float64 {
	t.Helper()
	la, err := a.NewSequence(model.SequenceOptions{}).Forward(tokens, true)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := b.NewSequence(model.SequenceOptions{}).Forward(tokens, true)
	if err != nil {
		t.Fatal(err)
	}
	var d float64
	for i := range la {
		d = math.Max(d, math.Abs(float64(la[i]-lb[i])))
	}
	return d
}

// TestSafetensorsStories260K: stories260K.gguf's weights written as an HF
// checkpoint (q/k rows in rotate_half order) load with FromSafetensors and
// give llama.cpp's 64 greedy ids (F32, single file and sharded) and the
// GGUF path's logits: identical for F32, within rounding for F16/BF16.
func TestSafetensorsStories260K(t *testing.T) {
	ref := loadReference(t, "stories260K_llamacpp.json")
	f, err := gguf.OpenMapped(shared.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	_, hasOutput := f.Tensor(nameOutput)
	tied := !hasOutput
	tokens := ref.Perplexity.Tokens
	for _, tc := range []struct {
		name   string
		dt     safetensors.DType
		shards int
		file   bool
		tol    float64
	}{
		{"F32", safetensors.F32, 1, false, 0},
		{"F32-file", safetensors.F32, 1, true, 0},
		{"F32-3-shards", safetensors.F32, 3, false, 0},
		{"F16", safetensors.F16, 1, false, 0.05},
		{"BF16", safetensors.BF16, 2, false, 0.4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeHF(t, g, tied, tc.dt, tc.shards)
			path := dir
			if tc.file {
				path = filepath.Join(dir, safetensors.SingleFile)
			}
			m := loadHF(t, path)
			if m.Config != g.Config {
				t.Errorf("config %+v, GGUF %+v", m.Config, g.Config)
			}
			d := maxLogitDiff(t, m, g, tokens)
			t.Logf("max |Δlogit| vs GGUF over %d positions: %g", len(tokens), d)
			if d > tc.tol {
				t.Errorf("max |Δlogit| %g > %g", d, tc.tol)
			}
			if tc.dt != safetensors.F32 {
				// Against the GGUF weights rounded to the same type: identical.
				if d := maxLogitDiff(t, m, rounded(g, tc.dt), tokens); d != 0 {
					t.Errorf("max |Δlogit| vs GGUF rounded to %s: %g, want 0", tc.dt, d)
				}
				return
			}
			seq := m.NewSequence(model.SequenceOptions{})
			logits, err := seq.Forward(ref.Greedy.PromptTokens, false)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range ref.Greedy.GeneratedTokens {
				id := argmax(logits)
				if id != want {
					t.Fatalf("step %d: id %d, llama.cpp %d", i, id, want)
				}
				if logits, err = seq.Forward([]int{id}, false); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestSafetensorsTiny: the random tiny GGUF model, written as HF
// checkpoints (tied and untied), gives the same logits; no shared data.
func TestSafetensorsTiny(t *testing.T) {
	gf, err := tinyFile(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Load(gf)
	if err != nil {
		t.Fatal(err)
	}
	for _, tied := range []bool{true, false} {
		m := loadHF(t, writeHF(t, g, tied, safetensors.F32, 1))
		if d := maxLogitDiff(t, m, g, []int{1, 5, 3, 10, 0}); d != 0 {
			t.Errorf("tied %v: max |Δlogit| %g", tied, d)
		}
	}
}

func TestSafetensorsErrors(t *testing.T) {
	gf, err := tinyFile(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Load(gf)
	if err != nil {
		t.Fatal(err)
	}
	editConfig := func(dir string, edit func(map[string]any)) {
		p := filepath.Join(dir, "config.json")
		b, _ := os.ReadFile(p)
		var cfg map[string]any
		json.Unmarshal(b, &cfg)
		edit(cfg)
		b, _ = json.Marshal(cfg)
		os.WriteFile(p, b, 0o644)
	}
	for _, tc := range []struct {
		edit func(map[string]any)
		want string
	}{
		{func(c map[string]any) { c["model_type"] = "gpt2" }, `"gpt2"`},
		{func(c map[string]any) { c["rope_scaling"] = map[string]any{"rope_type": "yarn", "factor": 8} }, `"yarn"`},
		{func(c map[string]any) { c["rope_scaling"] = map[string]any{"rope_type": "llama3", "factor": 0} }, `llama3 factor`},
		{func(c map[string]any) { c["attention_bias"] = true }, `q_proj.bias`},
		{func(c map[string]any) { c["mlp_bias"] = true }, `mlp_bias`},
		{func(c map[string]any) { c["model_type"] = "qwen2" }, `q_proj.bias`},
		{func(c map[string]any) { c["model_type"] = "qwen3" }, `q_norm.weight`},
		{func(c map[string]any) { c["rope_scaling"] = map[string]any{"type": "linear", "factor": 0} }, `factor`},
		{func(c map[string]any) { c["hidden_size"] = 0 }, `hidden_size`},
		{func(c map[string]any) { c["num_key_value_heads"] = 3 }, `num_key_value_heads`},
		{func(c map[string]any) { c["vocab_size"] = 12 }, `model.embed_tokens.weight`},
		{func(c map[string]any) { c["num_hidden_layers"] = 3 }, `num_hidden_layers 3`},
		{func(c map[string]any) { c["num_hidden_layers"] = 1 << 20 }, `num_hidden_layers`},
		{func(c map[string]any) { c["intermediate_size"] = 13 }, `mlp.gate_proj`},
		{func(c map[string]any) { c["tie_word_embeddings"] = false }, `"lm_head.weight"`},
		{func(c map[string]any) { c["hidden_act"] = "gelu" }, `gelu`},
	} {
		dir := writeHF(t, g, true, safetensors.F32, 1)
		editConfig(dir, tc.edit)
		if m, c, err := FromSafetensors(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			if err == nil {
				c.Close()
			}
			t.Errorf("error %v, want one containing %s (model %v)", err, tc.want, m != nil)
		}
	}
	// An unsupported dtype names the tensor and the dtype.
	dir := t.TempDir()
	src := writeHF(t, g, true, safetensors.F32, 1)
	b, _ := os.ReadFile(filepath.Join(src, "config.json"))
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	fh, _ := os.Create(filepath.Join(dir, safetensors.SingleFile))
	safetensors.Write(fh, []safetensors.WriteTensor{{Name: hfEmbed, DType: safetensors.I32, Shape: []uint64{11, 8}, Data: make([]byte, 4*88)}}, nil)
	fh.Close()
	if _, _, err := FromSafetensors(dir); err == nil || !strings.Contains(err.Error(), "I32") || !strings.Contains(err.Error(), hfEmbed) {
		t.Errorf("I32 tensor: %v", err)
	}
	// No config.json; no weights.
	if _, _, err := FromSafetensors(t.TempDir()); err == nil {
		t.Error("empty directory accepted")
	}
	os.Remove(filepath.Join(dir, safetensors.SingleFile))
	if _, _, err := FromSafetensors(dir); err == nil {
		t.Error("directory without weights accepted")
	}
}

func TestConfigFromHFRopeScaling(t *testing.T) {
	eps, kv := 1e-5, 2
	c, err := ConfigFromHF(HFConfig{ModelType: "llama", HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2,
		NumAttentionHeads: 8, NumKeyValueHeads: &kv, RMSNormEps: &eps, VocabSize: 100,
		RopeScaling: &HFRopeScaling{Type: "linear", Factor: 4}})
	if err != nil {
		t.Fatal(err)
	}
	w := 4096
	mc, err := ConfigFromHF(HFConfig{ModelType: "mistral", HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2,
		NumAttentionHeads: 8, VocabSize: 100, MaxPositionEmbeddings: new(32768), SlidingWindow: &w})
	if err != nil || mc.ContextLength != 4096 {
		t.Errorf("mistral: context %d, %v", mc.ContextLength, err)
	}
	if c.RopeFreqScale != 0.25 || c.HeadDim != 8 || c.RopeDim != 8 || c.NumKVHeads != 2 || c.ContextLength != 2048 || c.RopeBase != 10000 || c.RMSEps != 1e-5 {
		t.Errorf("config %+v", c)
	}
}

// TestSafetensorsHostile: a checkpoint cut at any length, or with a byte of
// its header changed, is an error from FromSafetensors, never a panic.
func TestSafetensorsHostile(t *testing.T) {
	gf, err := tinyFile(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Load(gf)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeHF(t, g, true, safetensors.BF16, 1)
	p := filepath.Join(dir, safetensors.SingleFile)
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	hl := int(binary.LittleEndian.Uint64(good))
	try := func(b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, c, err := FromSafetensors(dir); err == nil {
			c.Close()
			t.Errorf("corrupt checkpoint (%d bytes) accepted", len(b))
		}
	}
	for n := 0; n < len(good); n += 1 + n/8 {
		try(good[:n])
	}
	for i := 0; i < 8+hl; i += 3 {
		b := append([]byte(nil), good...)
		b[i] ^= 0x5a
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, c, err := FromSafetensors(dir); err == nil {
			c.Close() // a change inside a name or padding may still load
		}
	}
}

// TestLlama3RopeFactors checks the llama3 rope_scaling factors on a case
// worked by hand: base 10000, head size 8 → frequencies 1, 0.1, 0.01, 0.001
// (wavelengths 2π·10^i); L = 1024, low 1, high 4 → wavelengths below 256 keep
// factor 1, above 1024 get 8, and 628.3185 gets s = (1024/628.3185 - 1)/3 =
// 0.209915, 1/((1-s)/8 + s) = 1/0.308676 = 3.23965.
func TestLlama3RopeFactors(t *testing.T) {
	lo, hi, L := 1.0, 4.0, 1024
	hc := HFConfig{RopeScaling: &HFRopeScaling{RopeType: "llama3", Factor: 8, LowFreqFactor: &lo, HighFreqFactor: &hi, OriginalMaxPositionEmbeddings: &L}}
	got := llama3RopeFactors(hc, &Config{RopeBase: 10000, RopeDim: 8})
	want := []float64{1, 1, 3.23965, 8}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-4 {
			t.Errorf("factor %d = %v, want %v", i, got[i], want[i])
		}
	}
	if f := llama3RopeFactors(HFConfig{}, &Config{RopeBase: 10000, RopeDim: 8}); f != nil {
		t.Errorf("no rope_scaling: factors %v", f)
	}
}

// TestSafetensorsQwen: the qwen2 and qwen3 variants of stories260K (checked
// against llama.cpp as GGUF files in arch_test.go) written as HF checkpoints
// (model_type qwen2/qwen3, biases, q/k norms, HF row order) give the GGUF
// path's logits exactly.
func TestSafetensorsQwen(t *testing.T) {
	ref := loadReference(t, "stories260K_llamacpp.json")
	for _, kind := range []string{"qwen2", "qwen3"} {
		b := archVariant(t, kind)
		f, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		g, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		m := loadHF(t, writeHF(t, g, false, safetensors.F32, 1))
		if m.Config != g.Config {
			t.Errorf("%s: config %+v, GGUF %+v", kind, m.Config, g.Config)
		}
		if d := maxLogitDiff(t, m, g, ref.Perplexity.Tokens[:64]); d != 0 {
			t.Errorf("%s: max |Δlogit| vs GGUF %g, want 0", kind, d)
		}
	}
}
