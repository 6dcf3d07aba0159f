package llama

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/format/safetensors"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/quant"
)

// gpt2HFIDs are the tokens the GPT-2 safetensors tests run.
var gpt2HFIDs = []int{5, 300, 17, 42, 99, 260, 3, 511}

// gpt2Logits returns m's logits for every position of ids.
func gpt2Logits(t *testing.T, m *Model, ids []int) []float32 {
	t.Helper()
	out, err := m.NewSequence(model.SequenceOptions{}).Forward(ids, true)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), out...)
}

// sameBits reports the first logit where a and b differ in any bit.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d logits, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: logit %d is %g, want %g (bit for bit)", what, i, got[i], want[i])
		}
	}
}

// loadGPT2HF loads the HF folder dir with FromSafetensors; the checkpoint
// is closed when the test ends.
func loadGPT2HF(t *testing.T, dir string) *Model {
	t.Helper()
	m, c, err := FromSafetensors(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if m.GPT2 == nil {
		t.Fatal("FromSafetensors of a gpt2 folder: no GPT-2 weights")
	}
	return m
}

// TestGPT2HFRoundTrip: a GPT-2 (tied and untied head) written by
// WriteSafetensors loads back through FromSafetensors with the same config
// and, in F32, logits bit-identical to the original's and to its GGUF
// export's; F16 and BF16 files load (2-byte Conv1D matrices transposed in
// their own type) and stay close.
func TestGPT2HFRoundTrip(t *testing.T) {
	for _, tied := range []bool{false, true} {
		m := randomGPT2(512, 1)
		if tied {
			m.Weights.Output = m.Weights.TokenEmbd
		}
		want := gpt2Logits(t, m, gpt2HFIDs)
		_, fromGGUF := gpt2GGUF(t, m, quant.F32)
		sameBits(t, fmt.Sprintf("tied=%v: GGUF export", tied), gpt2Logits(t, fromGGUF, gpt2HFIDs), want)
		for _, tc := range []struct {
			typ  quant.Type
			tol  float64 // of the largest |logit|: 11 and 8 significant bits
			want quant.Type
		}{{quant.F32, 0, quant.F32}, {quant.F16, 0.003, quant.F16}, {quant.BF16, 0.02, quant.BF16}} {
			dir := filepath.Join(t.TempDir(), "hf")
			if err := m.WriteSafetensors(dir, ExportOptions{Type: tc.typ, Name: "random gpt2"}); err != nil {
				t.Fatal(err)
			}
			back := loadGPT2HF(t, dir)
			if back.Config != m.Config {
				t.Fatalf("tied=%v %v: config %+v, wrote %+v", tied, tc.typ, back.Config, m.Config)
			}
			if back.Weights.tied() != tied {
				t.Errorf("tied=%v %v: loaded tied=%v", tied, tc.typ, back.Weights.tied())
			}
			if q := back.Weights.Layers[1].FFNDown.Type; q != tc.want {
				t.Errorf("tied=%v %v: c_proj loaded as %v", tied, tc.typ, q)
			}
			got := gpt2Logits(t, back, gpt2HFIDs)
			if tc.typ == quant.F32 {
				sameBits(t, fmt.Sprintf("tied=%v safetensors", tied), got, want)
				// and on to GGUF: still the same network
				_, again := gpt2GGUF(t, back, quant.F32)
				sameBits(t, fmt.Sprintf("tied=%v safetensors → GGUF", tied), gpt2Logits(t, again, gpt2HFIDs), want)
				continue
			}
			var worst, largest float64
			for i := range want {
				worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
				largest = math.Max(largest, math.Abs(float64(want[i])))
			}
			t.Logf("tied=%v %v: max |Δlogit| %.3g, largest logit %.3g", tied, tc.typ, worst, largest)
			if worst > tc.tol*largest {
				t.Errorf("tied=%v %v: max |Δlogit| %g > %g·%g", tied, tc.typ, worst, tc.tol, largest)
			}
		}
	}
}

// hfGPT2Shapes is GPT2LMHeadModel's state dict for vocab_size V,
// n_positions P, n_embd D, n_layer L and inner width F, written out by hand
// from transformers' modeling_gpt2.py and pytorch_utils.py (not produced by
// our writer): Embedding(V, D) and Embedding(P, D) weights are [num, dim];
// LayerNorm(D) has weight and bias [D]; Conv1D(nf, nx) has weight [nx, nf]
// and bias [nf], with c_attn = Conv1D(3D, D), attn.c_proj = Conv1D(D, D),
// c_fc = Conv1D(F, D), mlp.c_proj = Conv1D(D, F); lm_head = Linear(D, V)
// has weight [V, D] and is left out when tied.
func hfGPT2Shapes(V, P, D, L, F int, tied bool) map[string][]uint64 {
	u := func(v ...int) []uint64 {
		out := make([]uint64, len(v))
		for i, x := range v {
			out[i] = uint64(x)
		}
		return out
	}
	s := map[string][]uint64{
		"transformer.wte.weight":  u(V, D),
		"transformer.wpe.weight":  u(P, D),
		"transformer.ln_f.weight": u(D),
		"transformer.ln_f.bias":   u(D),
	}
	for i := range L {
		h := fmt.Sprintf("transformer.h.%d.", i)
		s[h+"ln_1.weight"], s[h+"ln_1.bias"] = u(D), u(D)
		s[h+"attn.c_attn.weight"], s[h+"attn.c_attn.bias"] = u(D, 3*D), u(3*D)
		s[h+"attn.c_proj.weight"], s[h+"attn.c_proj.bias"] = u(D, D), u(D)
		s[h+"ln_2.weight"], s[h+"ln_2.bias"] = u(D), u(D)
		s[h+"mlp.c_fc.weight"], s[h+"mlp.c_fc.bias"] = u(D, F), u(F)
		s[h+"mlp.c_proj.weight"], s[h+"mlp.c_proj.bias"] = u(F, D), u(D)
	}
	if !tied {
		s["lm_head.weight"] = u(V, D)
	}
	return s
}

// f32At returns element i of an F32 tensor's little-endian bytes.
func f32At(b []byte, i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])) }

// TestGPT2HFLayout checks the written file against GPT2LMHeadModel's layout
// (hfGPT2Shapes), the Conv1D semantics (y = x·W + b with W [in, out], and
// c_attn's out = q | k | v) on the values, and config.json's fields.
func TestGPT2HFLayout(t *testing.T) {
	m := randomGPT2(512, 3)
	c := m.Config
	dir := t.TempDir()
	kvs := bpe512KVs(t)
	if err := m.WriteSafetensors(dir, ExportOptions{Tokenizer: kvs}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := hfGPT2Shapes(c.VocabSize, c.ContextLength, c.Dim, c.NumLayers, c.FFNDim, false)
	var names []string
	for _, ti := range f.Tensors {
		names = append(names, ti.Name)
		s, ok := want[ti.Name]
		switch {
		case !ok:
			t.Errorf("tensor %q is not in GPT2LMHeadModel's state dict", ti.Name)
		case fmt.Sprint(s) != fmt.Sprint(ti.Shape):
			t.Errorf("tensor %q: shape %v, want %v", ti.Name, ti.Shape, s)
		case ti.DType != safetensors.F32:
			t.Errorf("tensor %q: dtype %v", ti.Name, ti.DType)
		}
	}
	if len(names) != len(want) {
		sort.Strings(names)
		t.Errorf("%d tensors %v, want %d", len(names), names, len(want))
	}
	get := func(name string) []byte {
		b, err := f.TensorBytes(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// c_attn: column j of the [D, 3D] weight is q row j, k row j-D, v row
	// j-2D of the runtime's [out, in] matrices; the bias likewise.
	l := &m.Weights.Layers[1]
	w, b := get("transformer.h.1.attn.c_attn.weight"), get("transformer.h.1.attn.c_attn.bias")
	D := c.Dim
	for j := 0; j < 3*D; j++ {
		mx := []*Matrix{&l.Query, &l.Key, &l.Value}[j/D]
		r := j % D
		if f32At(b, j) != mx.Bias[r] {
			t.Fatalf("c_attn.bias[%d] = %g, want %g", j, f32At(b, j), mx.Bias[r])
		}
		for i := 0; i < D; i++ {
			if got := f32At(w, i*3*D+j); got != mx.F32[r*D+i] {
				t.Fatalf("c_attn.weight[%d][%d] = %g, want %g", i, j, got, mx.F32[r*D+i])
			}
		}
	}
	// mlp.c_fc: weight [D, F] with W[i][j] = FFNUp row j, column i.
	w = get("transformer.h.1.mlp.c_fc.weight")
	for i := 0; i < D; i += 7 {
		for j := 0; j < c.FFNDim; j += 5 {
			if got := f32At(w, i*c.FFNDim+j); got != l.FFNUp.F32[j*D+i] {
				t.Fatalf("mlp.c_fc.weight[%d][%d] = %g, want %g", i, j, got, l.FFNUp.F32[j*D+i])
			}
		}
	}

	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	bos, _ := tokenIDOf(kvs, "tokenizer.ggml.bos_token_id")
	eos, _ := tokenIDOf(kvs, "tokenizer.ggml.eos_token_id")
	for k, v := range map[string]any{
		"model_type": "gpt2", "architectures": []any{"GPT2LMHeadModel"}, "n_embd": 64.0, "n_layer": 2.0,
		"n_head": 4.0, "n_positions": 128.0, "n_ctx": 128.0, "vocab_size": 512.0, "layer_norm_epsilon": 1e-5,
		"activation_function": "gelu_new", "n_inner": 256.0, "tie_word_embeddings": false,
		"torch_dtype": "float32", "bos_token_id": float64(bos), "eos_token_id": float64(eos),
		"scale_attn_weights": true, "scale_attn_by_inverse_layer_idx": false,
	} {
		if fmt.Sprint(cfg[k]) != fmt.Sprint(v) {
			t.Errorf("config.json %s = %v, want %v", k, cfg[k], v)
		}
	}
	// HFConfigJSON of a GPT-2 is the same config.json (no tokenizer: null ids)
	hj, err := m.HFConfigJSON("float16")
	if err != nil {
		t.Fatal(err)
	}
	var hcfg map[string]any
	if err := json.Unmarshal(hj, &hcfg); err != nil || hcfg["model_type"] != "gpt2" || hcfg["torch_dtype"] != "float16" ||
		hcfg["bos_token_id"] != nil || hcfg["n_embd"] != 64.0 {
		t.Errorf("HFConfigJSON: %s (%v)", hj, err)
	}
}

// tokenIDOf returns the integer value of key in kvs.
func tokenIDOf(kvs []gguf.KV, key string) (uint64, bool) {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value.Uint()
		}
	}
	return 0, false
}

// rewriteGPT2HF copies the HF folder src into a new folder after edit has
// changed its tensors (by name) and config.json (as a JSON object).
func rewriteGPT2HF(t *testing.T, src string, edit func(ts map[string]safetensors.WriteTensor, cfg map[string]any)) string {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(src, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts := map[string]safetensors.WriteTensor{}
	for _, ti := range f.Tensors {
		b, err := f.TensorBytes(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		ts[ti.Name] = safetensors.WriteTensor{Name: ti.Name, DType: ti.DType, Shape: ti.Shape, Data: append([]byte(nil), b...)}
	}
	raw, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	edit(ts, cfg)
	var list []safetensors.WriteTensor
	for name, wt := range ts {
		wt.Name = name
		list = append(list, wt)
	}
	var buf bytes.Buffer
	if _, err := safetensors.Write(&buf, list, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cj, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cj, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestGPT2HFHubLayout: a file as openai-community/gpt2 ships it (no
// "transformer." prefix, the attn.bias mask buffers, no lm_head, config
// without n_inner, tie_word_embeddings or torch_dtype) loads and gives the
// same logits.
func TestGPT2HFHubLayout(t *testing.T) {
	m := randomGPT2(512, 4)
	m.Weights.Output = m.Weights.TokenEmbd
	want := gpt2Logits(t, m, gpt2HFIDs)
	src := filepath.Join(t.TempDir(), "hf")
	if err := m.WriteSafetensors(src, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := rewriteGPT2HF(t, src, func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
		for name, wt := range ts {
			delete(ts, name)
			ts[strings.TrimPrefix(name, "transformer.")] = wt
		}
		for i := range m.Config.NumLayers {
			n := 128 * 128
			ts[fmt.Sprintf("h.%d.attn.bias", i)] = safetensors.WriteTensor{DType: safetensors.F32, Shape: []uint64{1, 1, 128, 128}, Data: make([]byte, 4*n)}
		}
		for _, k := range []string{"n_inner", "tie_word_embeddings", "torch_dtype", "scale_attn_weights"} {
			delete(cfg, k)
		}
		cfg["n_inner"] = nil
	})
	back := loadGPT2HF(t, dir)
	sameBits(t, "hub layout", gpt2Logits(t, back, gpt2HFIDs), want)
	// a single .safetensors file path works as the folder does
	back = loadGPT2HF(t, filepath.Join(dir, "model.safetensors"))
	sameBits(t, "file path", gpt2Logits(t, back, gpt2HFIDs), want)
}

// TestGPT2HFErrors: broken GPT-2 folders and models GPT2LMHeadModel cannot
// express fail with errors naming the cause.
func TestGPT2HFErrors(t *testing.T) {
	m := randomGPT2(512, 5)
	src := filepath.Join(t.TempDir(), "hf")
	if err := m.WriteSafetensors(src, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(ts map[string]safetensors.WriteTensor, cfg map[string]any)
		want string
	}{
		{"missing tensor", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			delete(ts, "transformer.h.1.mlp.c_fc.bias")
		}, `"transformer.h.1.mlp.c_fc.bias"`},
		{"missing lm_head", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			delete(ts, "lm_head.weight")
		}, `"lm_head.weight"`},
		{"Linear layout", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			wt := ts["transformer.h.0.attn.c_attn.weight"]
			wt.Shape = []uint64{wt.Shape[1], wt.Shape[0]}
			ts["transformer.h.0.attn.c_attn.weight"] = wt
		}, `"transformer.h.0.attn.c_attn.weight": shape [192 64], want [64 192]`},
		{"wrong wte", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			cfg["vocab_size"] = 500
		}, `"transformer.wte.weight"`},
		{"n_inner mismatch", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			cfg["n_inner"] = 128
		}, `"transformer.h.0.mlp.c_fc.weight": shape [64 256], want [64 128]`},
		{"n_inner null", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			cfg["n_inner"] = nil
			cfg["n_embd"] = 64 // 4·64 = 256 is right: no error
		}, ""},
		{"erf gelu", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			cfg["activation_function"] = "gelu"
		}, `activation_function "gelu"`},
		{"layer-scaled attention", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			cfg["scale_attn_by_inverse_layer_idx"] = true
		}, "scale_attn_by_inverse_layer_idx"},
		{"heads", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			cfg["n_head"] = 5
		}, "multiple of n_head"},
		{"too many layers", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			cfg["n_layer"] = 1000
		}, "only"},
		{"int8", func(ts map[string]safetensors.WriteTensor, cfg map[string]any) {
			wt := ts["transformer.h.0.mlp.c_proj.weight"]
			wt.DType, wt.Data = safetensors.DType("I8"), wt.Data[:len(wt.Data)/4]
			ts["transformer.h.0.mlp.c_proj.weight"] = wt
		}, "dtype I8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := rewriteGPT2HF(t, src, tc.edit)
			_, c, err := FromSafetensors(dir)
			if c != nil {
				c.Close()
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %s", err, tc.want)
			}
		})
	}

	// export: grouped-query attention has no GPT2LMHeadModel form
	gqa := randomGPT2(512, 5)
	gqa.Config.NumKVHeads = 2
	for i := range gqa.Weights.Layers {
		l := &gqa.Weights.Layers[i]
		l.Key, l.Value = l.Key.rows(0, 32), l.Value.rows(0, 32)
	}
	if err := gqa.WriteSafetensors(t.TempDir(), ExportOptions{}); err == nil || !strings.Contains(err.Error(), "grouped-query") {
		t.Errorf("GQA export: err %v", err)
	}
	if err := randomGPT2(512, 5).WriteSafetensors(t.TempDir(), ExportOptions{Type: quant.Q8_0}); err == nil {
		t.Error("Q8_0 safetensors export: no error")
	}
	bad := randomGPT2(512, 5)
	bad.GPT2.FFNNormB[1] = bad.GPT2.FFNNormB[1][:3]
	if err := bad.WriteSafetensors(t.TempDir(), ExportOptions{}); err == nil {
		t.Error("short ln_2 bias: no error")
	}
}

// BenchmarkGPT2HFLoad measures FromSafetensors of a GPT-2-small-shaped HF
// folder (124M parameters: 12 blocks of width 768, 12 heads, vocab 50257,
// 1024 positions; random weights) in F32 and F16: mostly the Conv1D
// transposes, since wte/wpe are views of the mapped file.
func BenchmarkGPT2HFLoad(b *testing.B) {
	c := Config{Arch: ArchGPT2, ContextLength: 1024, Dim: 768, NumLayers: 12, FFNDim: 3072, NumHeads: 12, NumKVHeads: 12,
		HeadDim: 64, RMSEps: 1e-5, RopeDim: 64, RopeBase: 10000, RopeFreqScale: 1, VocabSize: 50257}
	vals := make([]float32, c.VocabSize*c.Dim)
	for i := range vals {
		vals[i] = float32(i%1009)/1009 - 0.5
	}
	mat := func(rows, cols int) Matrix {
		return Matrix{Type: quant.F32, Rows: rows, Cols: cols, F32: vals[:rows*cols], Bias: vals[:rows]}
	}
	w := &Weights{TokenEmbd: Matrix{Type: quant.F32, Rows: c.VocabSize, Cols: c.Dim, F32: vals}, OutputNorm: vals[:c.Dim]}
	w.Output = w.TokenEmbd
	g := &GPT2Weights{PosEmbd: mat(c.ContextLength, c.Dim), OutputNormB: vals[:c.Dim]}
	for range c.NumLayers {
		w.Layers = append(w.Layers, Layer{AttnNorm: vals[:c.Dim], FFNNorm: vals[:c.Dim], Query: mat(c.Dim, c.Dim),
			Key: mat(c.Dim, c.Dim), Value: mat(c.Dim, c.Dim), AttnOutput: mat(c.Dim, c.Dim),
			FFNUp: mat(c.FFNDim, c.Dim), FFNDown: mat(c.Dim, c.FFNDim)})
		g.AttnNormB, g.FFNNormB = append(g.AttnNormB, vals[:c.Dim]), append(g.FFNNormB, vals[:c.Dim])
	}
	m := &Model{Config: c, Weights: w, GPT2: g}
	for _, typ := range []quant.Type{quant.F32, quant.F16} {
		dir := filepath.Join(b.TempDir(), "hf")
		if err := m.WriteSafetensors(dir, ExportOptions{Type: typ}); err != nil {
			b.Fatal(err)
		}
		b.Run(typ.String(), func(b *testing.B) {
			for b.Loop() {
				_, ck, err := FromSafetensors(dir)
				if err != nil {
					b.Fatal(err)
				}
				ck.Close()
			}
		})
	}
}

// TestTranspose holds the tiled transpose to the definition dst[c][r] =
// src[r][c] on shapes that are not multiples of the tile.
func TestTranspose(t *testing.T) {
	for _, sh := range [][2]int{{0, 0}, {1, 1}, {1, 70}, {70, 1}, {31, 33}, {64, 96}, {65, 97}, {100, 3}} {
		rows, cols := sh[0], sh[1]
		src := make([]int, rows*cols)
		for i := range src {
			src[i] = i
		}
		dst := transpose(src, rows, cols)
		for r := range rows {
			for c := range cols {
				if dst[c*rows+r] != src[r*cols+c] {
					t.Fatalf("%dx%d: dst[%d][%d] = %d, want %d", rows, cols, c, r, dst[c*rows+r], src[r*cols+c])
				}
			}
		}
	}
}

// TestGPT2HFOddShape: a GPT-2 whose sizes are not multiples of the
// transpose tile (width 48, 3 heads, MLP 100, vocab 300, context 40)
// round-trips: F32 bit for bit, F16 and BF16 to their rounding of the
// weights (the same model rounded through GGUF F16/BF16 gives the same
// logits bit for bit).
func TestGPT2HFOddShape(t *testing.T) {
	c := Config{Arch: ArchGPT2, ContextLength: 40, Dim: 48, NumLayers: 1, FFNDim: 100, NumHeads: 3, NumKVHeads: 3,
		HeadDim: 16, RMSEps: 1e-5, RopeDim: 16, RopeBase: 10000, RopeFreqScale: 1, VocabSize: 300}
	seed := uint32(1)
	uni := func(n int, scale float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			seed = seed*1664525 + 1013904223
			v[i] = scale * (float32(seed>>8)/float32(1<<24)*2 - 1)
		}
		return v
	}
	lin := func(rows, cols int) Matrix {
		return Matrix{Type: quant.F32, Rows: rows, Cols: cols, F32: uni(rows*cols, 0.2), Bias: uni(rows, 0.1)}
	}
	w := &Weights{TokenEmbd: Matrix{Type: quant.F32, Rows: c.VocabSize, Cols: c.Dim, F32: uni(c.VocabSize*c.Dim, 0.5)},
		OutputNorm: uni(c.Dim, 1)}
	w.Output = w.TokenEmbd
	g := &GPT2Weights{PosEmbd: Matrix{Type: quant.F32, Rows: c.ContextLength, Cols: c.Dim, F32: uni(c.ContextLength*c.Dim, 0.2)},
		OutputNormB: uni(c.Dim, 0.1), AttnNormB: [][]float32{uni(c.Dim, 0.1)}, FFNNormB: [][]float32{uni(c.Dim, 0.1)}}
	w.Layers = []Layer{{AttnNorm: uni(c.Dim, 1), Query: lin(c.Dim, c.Dim), Key: lin(c.Dim, c.Dim), Value: lin(c.Dim, c.Dim),
		AttnOutput: lin(c.Dim, c.Dim), FFNNorm: uni(c.Dim, 1), FFNUp: lin(c.FFNDim, c.Dim), FFNDown: lin(c.Dim, c.FFNDim)}}
	m := &Model{Config: c, Weights: w, GPT2: g}
	ids := []int{0, 299, 7, 150, 42}
	for _, typ := range []quant.Type{quant.F32, quant.F16, quant.BF16} {
		dir := filepath.Join(t.TempDir(), "hf")
		if err := m.WriteSafetensors(dir, ExportOptions{Type: typ}); err != nil {
			t.Fatal(err)
		}
		back := loadGPT2HF(t, dir)
		_, viaGGUF := gpt2GGUFNoVocab(t, m, typ)
		sameBits(t, typ.String(), gpt2Logits(t, back, ids), gpt2Logits(t, viaGGUF, ids))
	}
}

// gpt2GGUFNoVocab is gpt2GGUF without a vocabulary (any vocab size).
func gpt2GGUFNoVocab(t *testing.T, m *Model, typ quant.Type) ([]byte, *Model) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := m.WriteGGUF(&buf, ExportOptions{Type: typ}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), back
}
