package llama

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/quant"
)

// gpt2ExportDir, when set, makes TestGPT2ExportLlamaCpp write the GGUF
// files it checks there (testdata/net_gpt2_PROVENANCE.md).
var gpt2ExportDir = flag.String("gpt2-export-dir", "", "write the GGUF files TestGPT2ExportLlamaCpp checks into this folder")

// randomGPT2 returns a GPT-2 of seeded uniform weights (vocab tokens,
// 2 blocks of width 64, 4 heads, MLP 256, context 128, a separate output
// matrix of scale 2 so that greedy choices have clear margins).
func randomGPT2(vocab int, seed uint64) *Model {
	c := Config{Arch: ArchGPT2, ContextLength: 128, Dim: 64, NumLayers: 2, FFNDim: 256, NumHeads: 4, NumKVHeads: 4,
		HeadDim: 16, RMSEps: 1e-5, RopeDim: 16, RopeBase: 10000, RopeFreqScale: 1, VocabSize: vocab}
	rng := rand.New(rand.NewPCG(seed, 2))
	uni := func(n int, scale float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = scale * (2*rng.Float32() - 1)
		}
		return v
	}
	lin := func(rows, cols int) Matrix {
		return Matrix{Type: quant.F32, Rows: rows, Cols: cols, F32: uni(rows*cols, float32(1/math.Sqrt(float64(cols)))), Bias: uni(rows, 0.1)}
	}
	norm := func(n int) []float32 {
		v := uni(n, 0.1)
		for i := range v {
			v[i]++
		}
		return v
	}
	w := &Weights{TokenEmbd: Matrix{Type: quant.F32, Rows: vocab, Cols: c.Dim, F32: uni(vocab*c.Dim, 0.5)}}
	g := &GPT2Weights{PosEmbd: Matrix{Type: quant.F32, Rows: c.ContextLength, Cols: c.Dim, F32: uni(c.ContextLength*c.Dim, 0.2)}}
	for range c.NumLayers {
		w.Layers = append(w.Layers, Layer{
			AttnNorm: norm(c.Dim), Query: lin(c.Dim, c.Dim), Key: lin(c.Dim, c.Dim), Value: lin(c.Dim, c.Dim),
			AttnOutput: lin(c.Dim, c.Dim), FFNNorm: norm(c.Dim), FFNUp: lin(c.FFNDim, c.Dim), FFNDown: lin(c.Dim, c.FFNDim),
		})
		g.AttnNormB, g.FFNNormB = append(g.AttnNormB, uni(c.Dim, 0.1)), append(g.FFNNormB, uni(c.Dim, 0.1))
	}
	w.OutputNorm, g.OutputNormB = norm(c.Dim), uni(c.Dim, 0.1)
	w.Output = Matrix{Type: quant.F32, Rows: vocab, Cols: c.Dim, F32: uni(vocab*c.Dim, 2)}
	return &Model{Config: c, Weights: w, GPT2: g}
}

// gpt2GGUF returns m written as GGUF with matrices of type typ and the
// 512-token byte-level BPE of testdata, loaded back.
func gpt2GGUF(t *testing.T, m *Model, typ quant.Type) ([]byte, *Model) {
	t.Helper()
	kvs := bpe512KVs(t)
	var buf bytes.Buffer
	if _, err := m.WriteGGUF(&buf, ExportOptions{Type: typ, Name: "random gpt2", Tokenizer: kvs}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if arch, _ := f.String("general.architecture"); arch != ArchGPT2 {
		t.Fatalf("general.architecture %q", arch)
	}
	back, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), back
}

// TestGPT2GGUFRoundTrip checks that a GPT-2 written as GGUF (llama.cpp's
// gpt2 names, q/k/v fused into attn_qkv) loads back as the same network:
// the same config and, for F32, the same logits bit for bit; a Q8_0 file
// loads and stays close.
func TestGPT2GGUFRoundTrip(t *testing.T) {
	m := randomGPT2(512, 1)
	ids := []int{5, 300, 17, 42, 99, 260, 3, 511}
	want, err := m.NewSequence(model.SequenceOptions{}).Forward(ids, true)
	if err != nil {
		t.Fatal(err)
	}
	want = append([]float32(nil), want...)
	_, back := gpt2GGUF(t, m, quant.F32)
	if back.Config != m.Config {
		t.Fatalf("config %+v, wrote %+v", back.Config, m.Config)
	}
	got, err := back.NewSequence(model.SequenceOptions{}).Forward(ids, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("logit %d: %g after the round trip, %g before", i, got[i], want[i])
		}
	}
	_, q := gpt2GGUF(t, m, quant.Q8_0)
	if q.Weights.Layers[0].Query.Type != quant.Q8_0 {
		t.Fatalf("Q8_0 file: q is %v", q.Weights.Layers[0].Query.Type)
	}
	got, err = q.NewSequence(model.SequenceOptions{}).Forward(ids, true)
	if err != nil {
		t.Fatal(err)
	}
	var worst, largest float64
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
		largest = math.Max(largest, math.Abs(float64(want[i])))
	}
	t.Logf("Q8_0: max |Δlogit| %.3g, largest logit %.3g", worst, largest)
	if worst > 0.03*largest { // 8-bit weights and activations
		t.Fatalf("Q8_0: max |Δlogit| %g, largest logit %g", worst, largest)
	}
}

// TestGPT2LoadErrors checks that broken GPT-2 files fail with errors.
func TestGPT2LoadErrors(t *testing.T) {
	data, _ := gpt2GGUF(t, randomGPT2(512, 1), quant.F32)
	for _, tc := range []struct {
		name string
		edit func(f *gguf.File)
	}{
		{"no epsilon", func(f *gguf.File) { dropKV(f, "gpt2.attention.layer_norm_epsilon") }},
		{"no heads", func(f *gguf.File) { dropKV(f, "gpt2.attention.head_count") }},
		{"no qkv", func(f *gguf.File) { dropTensor(f, "blk.1.attn_qkv.weight") }},
		{"no qkv bias", func(f *gguf.File) { dropTensor(f, "blk.0.attn_qkv.bias") }},
		{"no positions", func(f *gguf.File) { dropTensor(f, namePosEmbd) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := gguf.Read(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(f)
			if _, err := Load(f); err == nil {
				t.Fatal("loaded")
			} else {
				t.Log(err)
			}
		})
	}
}

func dropKV(f *gguf.File, key string) {
	for i, kv := range f.KV {
		if kv.Key == key {
			f.KV = append(f.KV[:i], f.KV[i+1:]...)
			return
		}
	}
}

func dropTensor(f *gguf.File, name string) {
	for i, ti := range f.Tensors {
		if ti.Name == name {
			f.Tensors = append(f.Tensors[:i], f.Tensors[i+1:]...)
			return
		}
	}
}

// TestGPT2ExportLlamaCpp checks GPT-2 GGUF files we write against what
// llama.cpp did with them (testdata/net_gpt2_llamacpp.json, made by
// export_llamacpp.mjs: testdata/net_gpt2_PROVENANCE.md): the rebuilt bytes
// are the ones llama.cpp ran (sha256), and our greedy ids from llama.cpp's
// prompt ids equal llama.cpp's, each greedy log-probability within the
// tolerance.
func TestGPT2ExportLlamaCpp(t *testing.T) {
	b, err := os.ReadFile("testdata/net_gpt2_llamacpp.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref llamaCppExport
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		typ  quant.Type
		tol  float64
	}{
		// ggml's CPU GELU rounds its input to f16 and reads a table
		// (GGML_GELU_FP16 in ggml-cpu/vec.h: up to ~4e-3 relative error);
		// ours is the formula, as training computes it: more room than
		// the Llama files' 5e-3
		{"gpt2-f32", quant.F32, 2e-2},
		{"gpt2-q8_0", quant.Q8_0, 0.25},
	}
	if len(ref.Cases) != len(cases) {
		t.Fatalf("%d recorded cases, %d built", len(ref.Cases), len(cases))
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := ref.Cases[i]
			if rc.Name != c.name {
				t.Fatalf("recorded case %q, built %q", rc.Name, c.name)
			}
			data, m := gpt2GGUF(t, randomGPT2(512, 1), c.typ)
			if *gpt2ExportDir != "" {
				if err := os.WriteFile(filepath.Join(*gpt2ExportDir, c.name+".gguf"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != rc.SHA256 || len(data) != rc.Bytes {
				t.Fatalf("rebuilt file: sha256 %s (%d bytes), llama.cpp ran %s (%d bytes)", got, len(data), rc.SHA256, rc.Bytes)
			}
			checkLlamaCppRun(t, c.name, m, rc.PromptTokens, rc.GeneratedTokens, rc.Logprobs, rc.RunnerUpLogprobs, c.typ == quant.F32, c.tol)
		})
	}
}
