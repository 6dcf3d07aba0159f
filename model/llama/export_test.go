package llama

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/quant"
)

// exportGGUF writes m with opts and reads the bytes back as a model.
func exportGGUF(t *testing.T, m *Model, opts ExportOptions) (*Model, *gguf.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	n, err := m.WriteGGUF(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteGGUF returned %d, wrote %d bytes", n, buf.Len())
	}
	b := buf.Bytes()
	f, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m2, f, b
}

// storiesTokens is a fixed id sequence (BOS + "Once upon a time" and more)
// for logit comparisons.
var storiesTokens = []int{1, 403, 407, 261, 378, 261, 394, 282, 345, 280, 311, 44, 351, 261, 299, 300}

// TestExportGGUFRoundTrip: stories260K.gguf → WriteGGUF (F32) → Load gives
// bit-identical logits and the same metadata and vocabulary; F16 and Q8_0
// load too and stay close.
func TestExportGGUFRoundTrip(t *testing.T) {
	src, err := gguf.OpenMapped(shared.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	opts := ExportOptions{Name: "stories260K", Tokenizer: TokenizerKVs(src)}
	m2, f2, _ := exportGGUF(t, m, opts)
	if d := maxLogitDiff(t, m, m2, storiesTokens); d != 0 {
		t.Errorf("F32 export: max |Δlogit| %g, want 0", d)
	}
	if m2.Config != m.Config {
		t.Errorf("config %+v, want %+v", m2.Config, m.Config)
	}
	for _, kv := range TokenizerKVs(src) {
		v, ok := f2.Value(kv.Key)
		if !ok || v.String() != kv.Value.String() || v.Len() != kv.Value.Len() {
			t.Errorf("%s: %v, want %v", kv.Key, v, kv.Value)
		}
	}
	if ft, _ := f2.Uint("general.file_type"); ft != 0 {
		t.Errorf("general.file_type %d, want 0", ft)
	}
	for _, tc := range []struct {
		typ  quant.Type
		ft   uint64
		diff float64
	}{{quant.F16, 1, 0.05}, {quant.BF16, 32, 0.5}, {quant.Q8_0, 7, 1}} {
		mq, fq, _ := exportGGUF(t, m, ExportOptions{Type: tc.typ, Tokenizer: opts.Tokenizer})
		if ft, _ := fq.Uint("general.file_type"); ft != tc.ft {
			t.Errorf("%v: general.file_type %d, want %d", tc.typ, ft, tc.ft)
		}
		if d := maxLogitDiff(t, m, mq, storiesTokens); d > tc.diff {
			t.Errorf("%v export: max |Δlogit| %g > %g", tc.typ, d, tc.diff)
		}
		// Exporting the exported model again in its own type copies it.
		mq2, _, _ := exportGGUF(t, mq, ExportOptions{Type: tc.typ, Tokenizer: opts.Tokenizer})
		if d := maxLogitDiff(t, mq, mq2, storiesTokens); d != 0 {
			t.Errorf("%v re-export: max |Δlogit| %g, want 0", tc.typ, d)
		}
	}
}

// TestExportQ8_0MatchesQuantizer: every Q8_0 matrix of the export is
// quant.Quantize's encoding of the F32 weights, and equals, tensor for
// tensor, stories260K-q8_0.gguf (made by make_bench_model.py, whose
// quantizer is byte-identical to ggml's quantize_row_q8_0_ref; it also
// keeps the 172-wide ffn_down rows in F32).
func TestExportQ8_0MatchesQuantizer(t *testing.T) {
	m := loadModel(t, "models/stories260K.gguf")
	ref, err := gguf.OpenMapped(shared.Path(t, "models/stories260K-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	mq, f, b := exportGGUF(t, m, ExportOptions{Type: quant.Q8_0})
	mref, err := Load(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxLogitDiff(t, mq, mref, storiesTokens); d != 0 {
		t.Errorf("Q8_0 export vs stories260K-q8_0.gguf: max |Δlogit| %g, want 0", d)
	}
	for _, ti := range f.Tensors {
		got := b[f.DataOffset+int64(ti.Offset):]
		size, _ := ti.Size()
		got = got[:size]
		rt, ok := ref.Tensor(ti.Name)
		if !ok {
			t.Errorf("%s: not in stories260K-q8_0.gguf", ti.Name)
			continue
		}
		if rt.Type != ti.Type {
			t.Errorf("%s: type %v, stories260K-q8_0.gguf has %v", ti.Name, ti.Type, rt.Type)
			continue
		}
		want, err := ref.TensorBytes(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s (%v): bytes differ from stories260K-q8_0.gguf", ti.Name, ti.Type)
		}
		if ti.Type == gguf.TypeQ8_0 {
			src, _ := loadModel(t, "models/stories260K.gguf").Weights.matrix(ti.Name)
			q := make([]byte, len(got))
			if _, err := quant.Quantize(quant.Q8_0, src.F32, q); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, q) {
				t.Errorf("%s: not quant.Quantize's Q8_0 of the weights", ti.Name)
			}
		}
	}
}

// matrix returns the matrix with GGUF name name (test helper).
func (w *Weights) matrix(name string) (*Matrix, bool) {
	if name == nameTokenEmbd {
		return &w.TokenEmbd, true
	}
	if name == nameOutput {
		return &w.Output, true
	}
	for il := range w.Layers {
		l := &w.Layers[il]
		for what, mx := range map[string]*Matrix{nameAttnQ: &l.Query, nameAttnK: &l.Key, nameAttnV: &l.Value,
			nameAttnOutput: &l.AttnOutput, nameFFNGate: &l.FFNGate, nameFFNUp: &l.FFNUp, nameFFNDown: &l.FFNDown} {
			if blockName(il, what) == name {
				return mx, true
			}
		}
	}
	return nil, false
}

// TestExportSafetensorsRoundTrip: stories260K → WriteSafetensors →
// FromSafetensors gives bit-identical logits in F32, and close ones in
// F16/BF16; config.json round-trips the config.
func TestExportSafetensorsRoundTrip(t *testing.T) {
	m := loadModel(t, "models/stories260K.gguf")
	for _, tc := range []struct {
		typ  quant.Type
		diff float64
	}{{quant.F32, 0}, {quant.F16, 0.05}, {quant.BF16, 0.5}} {
		dir := filepath.Join(t.TempDir(), "hf")
		if err := m.WriteSafetensors(dir, ExportOptions{Type: tc.typ, Name: "stories260K"}); err != nil {
			t.Fatal(err)
		}
		m2 := loadHF(t, dir)
		if m2.Config != m.Config {
			t.Errorf("%v: config %+v, want %+v", tc.typ, m2.Config, m.Config)
		}
		if d := maxLogitDiff(t, m, m2, storiesTokens); d > tc.diff {
			t.Errorf("%v: max |Δlogit| %g > %g", tc.typ, d, tc.diff)
		}
		ents, _ := os.ReadDir(dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if strings.Join(names, ",") != "config.json,model.safetensors" {
			t.Errorf("%v: dir holds %v", tc.typ, names)
		}
		// and back to GGUF: the same logits as the safetensors model.
		if tc.typ == quant.F32 {
			m3, _, _ := exportGGUF(t, m2, ExportOptions{})
			if d := maxLogitDiff(t, m, m3, storiesTokens); d != 0 {
				t.Errorf("GGUF → safetensors → GGUF: max |Δlogit| %g", d)
			}
		}
	}
}

// TestExportTiedAndErrors: a tied output is written once; bad options and
// inconsistent weights are errors, not panics.
func TestExportTiedAndErrors(t *testing.T) {
	m := randomModel(64, 1)
	m.Weights.Output = m.Weights.TokenEmbd
	var buf bytes.Buffer
	if _, err := m.WriteGGUF(&buf, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	f, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Tensor(nameOutput); ok {
		t.Error("tied output written as output.weight")
	}
	m2, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxLogitDiff(t, m, m2, []int{0, 5, 9, 63}); d != 0 {
		t.Errorf("tied: max |Δlogit| %g", d)
	}
	dir := t.TempDir()
	if err := m.WriteSafetensors(dir, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if d := maxLogitDiff(t, m, loadHF(t, dir), []int{0, 5, 9, 63}); d != 0 {
		t.Errorf("tied safetensors: max |Δlogit| %g", d)
	}

	for _, tc := range []struct {
		name string
		edit func(m *Model, o *ExportOptions)
		want string
	}{
		{"unknown type", func(m *Model, o *ExportOptions) { o.Type = quant.Q8_K }, "not supported"},
		{"vocab mismatch", func(m *Model, o *ExportOptions) {
			o.Tokenizer = []gguf.KV{{Key: "tokenizer.ggml.tokens", Value: gguf.MustValue([]string{"a", "b"})}}
		}, "2 tokens"},
		{"layer count", func(m *Model, o *ExportOptions) { m.Config.NumLayers = 3 }, "layers"},
		{"short matrix", func(m *Model, o *ExportOptions) { m.Weights.Layers[0].FFNUp.F32 = m.Weights.Layers[0].FFNUp.F32[:10] }, "values"},
		{"bad norm", func(m *Model, o *ExportOptions) { m.Weights.OutputNorm = nil }, "output_norm"},
		{"duplicate key", func(m *Model, o *ExportOptions) {
			o.Tokenizer = []gguf.KV{{Key: "llama.block_count", Value: gguf.MustValue(uint32(1))}}
		}, "repeats"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := randomModel(64, 1)
			var o ExportOptions
			tc.edit(m, &o)
			_, err := m.WriteGGUF(&bytes.Buffer{}, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
	if err := randomModel(64, 1).WriteSafetensors(t.TempDir(), ExportOptions{Type: quant.Q8_0}); err == nil {
		t.Error("safetensors Q8_0: no error")
	}
}

// randomModel returns a Llama model with seeded random F32 weights (PCG
// seed, 0): dim 64, 2 layers, 4 heads (2 KV heads, head size 16), FFN 96,
// context 128, an untied output. Weights are uniform in ±scale with
// scale 0.5 for the embedding, 2 for the output (so greedy choices have clear
// margins) and 1/√fan-in elsewhere; norms are 1 + uniform ±0.1.
func randomModel(vocab int, seed uint64) *Model {
	return randomModelDims(vocab, 64, 96, seed)
}

// randomModelDims is randomModel with model width dim and FFN width ffn
// (dim a multiple of 16: 4 heads of dim/4, 2 KV heads).
func randomModelDims(vocab, dim, ffn int, seed uint64) *Model {
	c := Config{Arch: "llama", ContextLength: 128, Dim: dim, NumLayers: 2, FFNDim: ffn, NumHeads: 4, NumKVHeads: 2,
		HeadDim: dim / 4, RMSEps: 1e-5, RopeDim: dim / 4, RopeBase: 10000, RopeFreqScale: 1, RopeMode: ropeModes["llama"], VocabSize: vocab}
	rng := rand.New(rand.NewPCG(seed, 0))
	uni := func(n int, scale float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = scale * (2*rng.Float32() - 1)
		}
		return v
	}
	mat := func(rows, cols int, scale float32) Matrix {
		return Matrix{Type: quant.F32, Rows: rows, Cols: cols, F32: uni(rows*cols, scale)}
	}
	norm := func(n int) []float32 {
		v := uni(n, 0.1)
		for i := range v {
			v[i]++
		}
		return v
	}
	inv := func(n int) float32 { return float32(1 / math.Sqrt(float64(n))) }
	qDim, kvDim := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	w := &Weights{TokenEmbd: mat(vocab, c.Dim, 0.5)}
	for range c.NumLayers {
		w.Layers = append(w.Layers, Layer{
			AttnNorm:   norm(c.Dim),
			Query:      mat(qDim, c.Dim, inv(c.Dim)),
			Key:        mat(kvDim, c.Dim, inv(c.Dim)),
			Value:      mat(kvDim, c.Dim, inv(c.Dim)),
			AttnOutput: mat(c.Dim, qDim, inv(qDim)),
			FFNNorm:    norm(c.Dim),
			FFNGate:    mat(c.FFNDim, c.Dim, inv(c.Dim)),
			FFNUp:      mat(c.FFNDim, c.Dim, inv(c.Dim)),
			FFNDown:    mat(c.Dim, c.FFNDim, inv(c.FFNDim)),
		})
	}
	w.OutputNorm = norm(c.Dim)
	w.Output = mat(vocab, c.Dim, 2)
	return &Model{Config: c, Weights: w}
}

// bpe512KVs returns the GGUF tokenizer metadata of testdata's 512-token
// byte-level BPE (made by bpetrain).
func bpe512KVs(t *testing.T) []gguf.KV {
	t.Helper()
	b, err := os.ReadFile("testdata/export_bpe512_tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	kvs, err := BPETokenizerKVs(b)
	if err != nil {
		t.Fatal(err)
	}
	return kvs
}

// TestBPETokenizerKVs: the bpetrain tokenizer.json becomes llama.cpp's gpt2
// metadata; layouts llama.cpp would tokenize differently are errors.
func TestBPETokenizerKVs(t *testing.T) {
	b, err := os.ReadFile("testdata/export_bpe512_tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	kvs, err := BPETokenizerKVs(b)
	if err != nil {
		t.Fatal(err)
	}
	f := &gguf.File{KV: kvs}
	if m, _ := f.String("tokenizer.ggml.model"); m != "gpt2" {
		t.Errorf("model %q", m)
	}
	if p, _ := f.String("tokenizer.ggml.pre"); p != "gpt-2" {
		t.Errorf("pre %q", p)
	}
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	merges, _ := f.Strings("tokenizer.ggml.merges")
	if len(toks) != 512 || len(types) != 512 || len(merges) != 255 {
		t.Fatalf("%d tokens, %d types, %d merges", len(toks), len(types), len(merges))
	}
	if toks[511] != "<|endoftext|>" || types[511] != tokenTypeControl || types[0] != tokenTypeNormal || toks[32] != "A" {
		t.Errorf("tokens %q… %q, types %d %d", toks[:2], toks[511], types[0], types[511])
	}
	if eos, _ := f.Uint("tokenizer.ggml.eos_token_id"); eos != 511 {
		t.Errorf("eos %d", eos)
	}
	edit := func(from, to string) []byte { return []byte(strings.Replace(string(b), from, to, 1)) }
	for _, tc := range []struct {
		name string
		json []byte
		want string
	}{
		{"not json", []byte("{"), "tokenizer.json"},
		{"wordpiece", edit(`"type": "BPE"`, `"type": "WordPiece"`), "only byte-level BPE"},
		{"normalizer", edit(`"normalizer": null`, `"normalizer": {"type": "NFC"}`), "normalizer"},
		{"prefix space", edit(`"add_prefix_space": false`, `"add_prefix_space": true`), "pre-tokenizer"},
		{"empty", []byte(`{"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}`), "empty"},
		{"bad merge", []byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["abc"]}, "pre_tokenizer": {"type": "ByteLevel"}}`), "left right"},
		{"hole", []byte(`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 2}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}`), "only 2 tokens"},
		{"hole hidden by a duplicate", []byte(`{"added_tokens": [{"id": 0, "content": "a", "special": false}], "model": {"type": "BPE", "vocab": {"a": 0, "b": 2}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}`), "no token has id 1"},
		{"huge id", []byte(`{"model": {"type": "BPE", "vocab": {"a": 16000000}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}`), "only 1 tokens"},
		{"clash", []byte(`{"added_tokens": [{"id": 0, "content": "x", "special": true}], "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}`), "both"},
	} {
		if _, err := BPETokenizerKVs(tc.json); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// merges as pairs (tokenizers ≥ 0.20) are accepted too.
	pairs := []byte(`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}, "pre_tokenizer": {"type": "ByteLevel"}}`)
	kvs, err = BPETokenizerKVs(pairs)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := (&gguf.File{KV: kvs}).Strings("tokenizer.ggml.merges"); !slices.Equal(m, []string{"a b"}) {
		t.Errorf("merges %q", m)
	}
}

// FuzzBPETokenizerKVs: any tokenizer.json gives metadata or an error, never
// a panic; accepted metadata has as many types as tokens, one per id.
func FuzzBPETokenizerKVs(f *testing.F) {
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}, "pre_tokenizer": {"type": "ByteLevel"}}`))
	f.Add([]byte(`{"added_tokens": [{"id": 1, "content": "<|endoftext|>", "special": true}], "model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}, "pre_tokenizer": {"type": "ByteLevel"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		kvs, err := BPETokenizerKVs(b)
		if err != nil {
			return
		}
		g := &gguf.File{KV: kvs}
		toks, _ := g.Strings("tokenizer.ggml.tokens")
		types, _ := g.Int32s("tokenizer.ggml.token_type")
		if len(toks) == 0 || len(toks) != len(types) {
			t.Fatalf("%d tokens, %d types", len(toks), len(types))
		}
	})
}

// TestExportArchVariants: the qwen2 (biases), qwen3 (q/k head norms) and
// rope_freqs variants of arch_test.go survive WriteGGUF → Load with
// identical logits, and qwen2/qwen3 survive WriteSafetensors →
// FromSafetensors too; rope_freqs has no config.json form and is refused.
func TestExportArchVariants(t *testing.T) {
	for _, kind := range archVariants {
		t.Run(kind, func(t *testing.T) {
			b := archVariant(t, kind)
			f, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			m2, f2, _ := exportGGUF(t, m, ExportOptions{Tokenizer: TokenizerKVs(f)})
			if arch, _ := f2.String("general.architecture"); arch != m.Arch() {
				t.Errorf("architecture %q, want %q", arch, m.Arch())
			}
			if d := maxLogitDiff(t, m, m2, storiesTokens); d != 0 {
				t.Errorf("GGUF: max |Δlogit| %g", d)
			}
			dir := t.TempDir()
			err = m.WriteSafetensors(dir, ExportOptions{})
			if kind == "ropefreqs" {
				if err == nil || !strings.Contains(err.Error(), "rope_freqs") {
					t.Errorf("rope_freqs to safetensors: err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := maxLogitDiff(t, m, loadHF(t, dir), storiesTokens); d != 0 {
				t.Errorf("safetensors: max |Δlogit| %g", d)
			}
		})
	}
}

// errAfter fails every write after n bytes.
type errAfter struct{ n int }

func (e *errAfter) Write(p []byte) (int, error) {
	if len(p) > e.n {
		k := e.n
		e.n = 0
		return k, errors.New("disk full")
	}
	e.n -= len(p)
	return len(p), nil
}

// TestExportWriterFails: a writer that fails at any point gives an error
// from WriteGGUF, never a panic or a silent short file.
func TestExportWriterFails(t *testing.T) {
	m := randomModel(64, 1)
	var full bytes.Buffer
	total, err := m.WriteGGUF(&full, ExportOptions{Type: quant.Q8_0})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{0, 10, 1000, total / 2, total - 1} {
		if _, err := m.WriteGGUF(&errAfter{n: int(n)}, ExportOptions{Type: quant.Q8_0}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("fail after %d of %d bytes: err %v", n, total, err)
		}
	}
}
