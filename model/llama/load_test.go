package llama

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/model"
)

// tinyFile builds a random-weight llama GGUF in memory (dim 8, 2 heads, 1 KV
// head, 2 layers, vocab 11, context 6), lets edit change its index, and
// parses it back. The tensor data stays as laid out before edit.
func tinyFile(t *testing.T, edit func(f *gguf.File)) (*gguf.File, error) {
	t.Helper()
	const dim, ffn, vocab, layers = 8, 12, 11, 2
	f := &gguf.File{KV: []gguf.KV{
		{Key: "general.architecture", Value: gguf.MustValue("llama")},
		{Key: "llama.context_length", Value: gguf.MustValue(uint32(6))},
		{Key: "llama.embedding_length", Value: gguf.MustValue(uint32(dim))},
		{Key: "llama.block_count", Value: gguf.MustValue(uint32(layers))},
		{Key: "llama.feed_forward_length", Value: gguf.MustValue(uint32(ffn))},
		{Key: "llama.attention.head_count", Value: gguf.MustValue(uint32(2))},
		{Key: "llama.attention.head_count_kv", Value: gguf.MustValue(uint32(1))},
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: gguf.MustValue(float32(1e-5))},
	}}
	add := func(name string, dims ...uint64) {
		f.Tensors = append(f.Tensors, gguf.TensorInfo{Name: name, Dims: dims, Type: gguf.TypeF32})
	}
	add(nameTokenEmbd, dim, vocab)
	for il := 0; il < layers; il++ {
		add(blockName(il, nameAttnNorm), dim)
		add(blockName(il, nameAttnQ), dim, dim)
		add(blockName(il, nameAttnK), dim, 4)
		add(blockName(il, nameAttnV), dim, 4)
		add(blockName(il, nameAttnOutput), dim, dim)
		add(blockName(il, nameFFNNorm), dim)
		add(blockName(il, nameFFNGate), dim, ffn)
		add(blockName(il, nameFFNUp), dim, ffn)
		add(blockName(il, nameFFNDown), ffn, dim)
	}
	add(nameOutputNorm, dim)
	size, err := f.LayoutTensors()
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(f)
	}
	var buf bytes.Buffer
	if _, err := gguf.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range size / 4 {
		binary.Write(&buf, binary.LittleEndian, float32(rng.NormFloat64()*0.5))
	}
	return gguf.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
}

func setDims(name string, dims ...uint64) func(*gguf.File) {
	return func(f *gguf.File) {
		for i := range f.Tensors {
			if f.Tensors[i].Name == name {
				f.Tensors[i].Dims = dims
			}
		}
	}
}

func TestLoadTiny(t *testing.T) {
	f, err := tinyFile(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.VocabSize() != 11 || m.ContextLength() != 6 || m.Config.HeadDim != 4 || m.Config.RopeDim != 4 || &m.Weights.Output.F32[0] != &m.Weights.TokenEmbd.F32[0] {
		t.Errorf("config %+v, output tied: %v", m.Config, &m.Weights.Output.F32[0] == &m.Weights.TokenEmbd.F32[0])
	}
	// Batched prefill gives the same logits as one token at a time.
	ids := []int{1, 5, 3, 10}
	all, err := m.NewSequence(model.SequenceOptions{}).Forward(ids, true)
	if err != nil {
		t.Fatal(err)
	}
	all = append([]float32(nil), all...)
	seq := m.NewSequence(model.SequenceOptions{})
	for i, id := range ids {
		one, err := seq.Forward([]int{id}, false)
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range one {
			if d := math.Abs(float64(v - all[i*11+j])); d > 1e-5 {
				t.Fatalf("position %d logit %d: one at a time %v, batched %v", i, j, v, all[i*11+j])
			}
		}
	}
	// The context holds 6 positions: 2 more fit, 3 do not, and the
	// sequence is unchanged by the refusal.
	if _, err := seq.Forward([]int{1, 2, 3}, false); !errors.Is(err, model.ErrContextFull) {
		t.Errorf("past the context: err = %v", err)
	}
	if _, err := seq.Forward([]int{1, 2}, false); err != nil || seq.Len() != 6 {
		t.Errorf("filling the context: err = %v, len %d", err, seq.Len())
	}
	if _, err := m.NewSequence(model.SequenceOptions{}).Forward([]int{11}, false); err == nil || !strings.Contains(err.Error(), "token 11") {
		t.Errorf("id outside the vocabulary: err = %v", err)
	}
}

// TestNaNDetected: a non-finite activation reaches the logits and is
// reported, naming the position.
func TestNaNDetected(t *testing.T) {
	f, err := tinyFile(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	m.Weights.Layers[1].FFNNorm[3] = float32(math.NaN())
	_, err = m.NewSequence(model.SequenceOptions{}).Forward([]int{1, 2}, true)
	if err == nil || !strings.Contains(err.Error(), "NaN") || !strings.Contains(err.Error(), "position 0") {
		t.Fatalf("err = %v, want a NaN report", err)
	}
}

// TestLoadHostile: a tensor index that does not fit the config or the file
// gives an error naming the tensor (or key), never a panic.
func TestLoadHostile(t *testing.T) {
	cases := []struct {
		name string
		edit func(*gguf.File)
		want string
	}{
		{"wrong dims", setDims("blk.1.attn_k.weight", 8, 2), `"blk.1.attn_k.weight": dims [8 2], want [8 4]`},
		{"transposed", setDims("blk.0.ffn_down.weight", 8, 12), `"blk.0.ffn_down.weight": dims [8 12], want [12 8]`},
		{"extra dim", setDims("output_norm.weight", 8, 1), `"output_norm.weight"`},
		{"offset past the end", func(f *gguf.File) { f.Tensors[3].Offset = 1 << 30 }, `"blk.0.attn_k.weight"`},
		{"size past the end", setDims("token_embd.weight", 8, 1<<40), `"token_embd.weight"`},
		{"quantized type", func(f *gguf.File) { f.Tensors[2].Type = gguf.TypeQ8_0 }, `"blk.0.attn_q.weight"`},
		{"unsupported type", func(f *gguf.File) { f.Tensors[1].Type = gguf.TypeF64 }, `"blk.0.attn_norm.weight": type F64 is not supported`},
		{"missing tensor", func(f *gguf.File) { f.Tensors[len(f.Tensors)-1].Name = "x" }, `"output_norm.weight"`},
		{"unknown type", func(f *gguf.File) { f.Tensors[1].Type = 99 }, `"blk.0.attn_norm.weight"`},
		{"no head count", func(f *gguf.File) { f.KV[5].Key = "llama.attention.heads" }, "llama.attention.head_count"},
		{"kv heads do not divide", func(f *gguf.File) { f.KV[6].Value = gguf.MustValue(uint32(3)) }, "head_count_kv 3"},
		{"huge context", func(f *gguf.File) { f.KV[1].Value = gguf.MustValue(uint64(1) << 40) }, "llama.context_length"},
		{"float epsilon as string", func(f *gguf.File) { f.KV[7].Value = gguf.MustValue("tiny") }, "layer_norm_rms_epsilon"},
		{"other architecture", func(f *gguf.File) { f.KV[0].Value = gguf.MustValue("mamba") }, `"mamba"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tinyFile(t, tc.edit)
			if err == nil {
				_, err = Load(f)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %s", err, tc.want)
			}
		})
	}
}

// TestLogProbsTinyRandom compares per-position log-probabilities on
// llama-2-tiny-random.gguf (F16 weights, 32000 vocab) with llama.cpp's.
func TestLogProbsTinyRandom(t *testing.T) {
	ref := loadReference(t, "llama2_tiny_random_llamacpp.json")
	m := loadModel(t, "models/llama-2-tiny-random.gguf")
	for _, kvf16 := range []bool{false, true} {
		lp := logProbs(t, m, ref.Logprobs.Tokens, model.SequenceOptions{KVF16: kvf16})
		var meanAbs, maxAbs float64
		for i, v := range lp {
			d := math.Abs(v - ref.Logprobs.LogpNext[i])
			meanAbs += d
			maxAbs = max(maxAbs, d)
		}
		meanAbs /= float64(len(lp))
		t.Logf("kvf16=%v: mean |Δlogp| %.6f, max %.6f over %d positions", kvf16, meanAbs, maxAbs, len(lp))
		if meanAbs > 0.005 || maxAbs > 0.05 {
			t.Errorf("kvf16=%v: mean |Δlogp| %.6f (≤ 0.005), max %.6f (≤ 0.05)", kvf16, meanAbs, maxAbs)
		}
	}
}

// FuzzLoad: any bytes either fail to parse or load, or load into a model
// whose first Forward runs; nothing panics.
func FuzzLoad(f *testing.F) {
	t := &testing.T{}
	if g, err := tinyFile(t, nil); err == nil {
		if b, err := fileBytes(g); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		m, err := Load(g)
		if err != nil {
			return
		}
		if m.Config.ContextLength*m.Config.Dim > 1<<20 || m.Config.VocabSize*m.Config.Dim > 1<<22 {
			return // loads fine; too big a forward pass for a fuzz iteration
		}
		_, _ = m.NewSequence(model.SequenceOptions{}).Forward([]int{0}, false)
	})
}

// fileBytes re-serializes a parsed file: header from Write, then its data.
func fileBytes(g *gguf.File) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := gguf.Write(&buf, g); err != nil {
		return nil, err
	}
	for _, ti := range g.Tensors {
		b, err := g.TensorBytes(ti.Name)
		if err != nil {
			return nil, err
		}
		for int64(buf.Len()) < g.DataOffset+int64(ti.Offset) {
			buf.WriteByte(0)
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}
