package llama

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/format/llama2c"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/model"
)

func loadLlama2c(t testing.TB) *Model {
	t.Helper()
	ck, err := llama2c.OpenCheckpoint(shared.Path(t, "models/stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromLlama2c(ck)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGreedyStories260KLlama2c: from stories260K.bin, the 64 greedy ids
// after "Once upon a time" equal llama.cpp's on the GGUF converted from it.
func TestGreedyStories260KLlama2c(t *testing.T) {
	ref := loadReference(t, "stories260K_llamacpp.json")
	m := loadLlama2c(t)
	c := m.Config
	if c.ContextLength != 512 || c.Dim != 64 || c.NumLayers != 5 || c.NumHeads != 8 || c.NumKVHeads != 4 || c.HeadDim != 8 ||
		c.FFNDim != 172 || c.VocabSize != 512 || c.RMSEps != 1e-5 || c.RopeBase != 10000 || c.RopeDim != 8 {
		t.Errorf("config %+v", c)
	}
	requireGreedy(t, m, model.SequenceOptions{}, ref.Greedy.PromptTokens, ref.Greedy.GeneratedTokens)
}

// TestPerplexityStories260KLlama2c: over the reference's 512-token text the
// llama2.c checkpoint gives llama.cpp's perplexity, as the GGUF does.
func TestPerplexityStories260KLlama2c(t *testing.T) {
	ref := loadReference(t, "stories260K_llamacpp.json")
	lp := logProbs(t, loadLlama2c(t), ref.Perplexity.Tokens, model.SequenceOptions{})
	var nll, meanAbs float64
	for i, v := range lp {
		nll -= v
		meanAbs += math.Abs(v - ref.Perplexity.LogpNext[i])
	}
	ppl, meanAbs := math.Exp(nll/float64(len(lp))), meanAbs/float64(len(lp))
	t.Logf("ppl %.4f (llama.cpp %.4f), mean |Δlogp| %.5f", ppl, math.Exp(ref.Perplexity.MeanNLL), meanAbs)
	if math.Abs(ppl-5.583) > 0.003 || meanAbs > 0.005 {
		t.Errorf("perplexity %.4f (want 5.583 ± 0.003), mean |Δlogp| %.5f (want ≤ 0.005)", ppl, meanAbs)
	}
}

func TestFromLlama2cErrors(t *testing.T) {
	if _, err := FromLlama2c(nil); err == nil {
		t.Error("nil checkpoint accepted")
	}
	cfg := llama2c.Config{Dim: 4, HiddenDim: 6, NumLayers: 1, NumHeads: 2, NumKVHeads: 1, VocabSize: 3, SeqLen: 2, SharedClassifier: true}
	ck := &llama2c.Checkpoint{Config: cfg, TokenEmbedding: make([]float32, 12), RMSFinal: make([]float32, 4),
		Layers: []llama2c.Layer{{RMSAtt: make([]float32, 4), WQ: make([]float32, 16), WK: make([]float32, 8), WV: make([]float32, 8),
			WO: make([]float32, 16), RMSFFN: make([]float32, 4), W1: make([]float32, 24), W2: make([]float32, 24), W3: make([]float32, 24)}}}
	ck.Classifier = ck.TokenEmbedding
	m, err := FromLlama2c(ck)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.NewSequence(model.SequenceOptions{}).Forward([]int{1, 2}, true); err != nil {
		t.Fatal(err)
	}
	ck.Layers[0].W2 = ck.Layers[0].W2[:23]
	if _, err := FromLlama2c(ck); err == nil || !strings.Contains(err.Error(), "w2[0] has 23 values, want 24") {
		t.Errorf("error %v", err)
	}
	ck.Layers = nil
	if _, err := FromLlama2c(ck); err == nil || !strings.Contains(err.Error(), "0 layers") {
		t.Errorf("error %v", err)
	}
	ck.Config.NumHeads = 3
	if _, err := FromLlama2c(ck); err == nil || !strings.Contains(err.Error(), "inconsistent") {
		t.Errorf("error %v", err)
	}
}

// TestLlama2cSameAsConvertedGGUF: stories260K.gguf was converted from
// stories260K.bin + tok512.bin by an independent script
// (peers/llama2c_to_gguf.py); FromLlama2c's config and every weight equal
// what Load reads from the GGUF, and the tokenizer file's pieces, scores and
// types equal the GGUF vocabulary.
func TestLlama2cSameAsConvertedGGUF(t *testing.T) {
	bin, gg := loadLlama2c(t), loadModel(t, "models/stories260K.gguf")
	if bin.Config != gg.Config {
		t.Errorf("config\n%+v\nGGUF's\n%+v", bin.Config, gg.Config)
	}
	same := func(name string, a, b []float32) {
		if len(a) != len(b) {
			t.Errorf("%s: %d values, GGUF %d", name, len(a), len(b))
			return
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Errorf("%s[%d] = %v, GGUF %v", name, i, a[i], b[i])
				return
			}
		}
	}
	wb, wg := bin.Weights, gg.Weights
	same("token_embd", wb.TokenEmbd.F32, wg.TokenEmbd.F32)
	same("output", wb.Output.F32, wg.Output.F32)
	same("output_norm", wb.OutputNorm, wg.OutputNorm)
	for il := range wb.Layers {
		lb, lg := &wb.Layers[il], &wg.Layers[il]
		for _, m := range []struct {
			name string
			a, b Matrix
		}{{"q", lb.Query, lg.Query}, {"k", lb.Key, lg.Key}, {"v", lb.Value, lg.Value}, {"o", lb.AttnOutput, lg.AttnOutput},
			{"gate", lb.FFNGate, lg.FFNGate}, {"up", lb.FFNUp, lg.FFNUp}, {"down", lb.FFNDown, lg.FFNDown}} {
			if m.a.Rows != m.b.Rows || m.a.Cols != m.b.Cols {
				t.Errorf("blk.%d.%s: [%d %d], GGUF [%d %d]", il, m.name, m.a.Rows, m.a.Cols, m.b.Rows, m.b.Cols)
			}
			same(fmt.Sprintf("blk.%d.%s", il, m.name), m.a.F32, m.b.F32)
		}
		same(fmt.Sprintf("blk.%d.attn_norm", il), lb.AttnNorm, lg.AttnNorm)
		same(fmt.Sprintf("blk.%d.ffn_norm", il), lb.FFNNorm, lg.FFNNorm)
	}

	v, err := llama2c.OpenVocab(shared.Path(t, "models/tok512.bin"), bin.Config.VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.OpenMapped(shared.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	scores, _ := f.Value("tokenizer.ggml.scores")
	types, _ := f.Value("tokenizer.ggml.token_type")
	sc, _ := scores.Any().([]float32)
	ty, _ := types.Any().([]int32)
	pieces := v.Pieces()
	if len(tokens) != len(pieces) || len(sc) != len(pieces) || len(ty) != len(pieces) {
		t.Fatalf("GGUF vocabulary: %d tokens, %d scores, %d types; tok512.bin %d", len(tokens), len(sc), len(ty), len(pieces))
	}
	for i, p := range pieces {
		if p.Text != tokens[i] || p.Score != sc[i] || int32(p.Type) != ty[i] {
			t.Errorf("piece %d: %q %v %v, GGUF %q %v %v", i, p.Text, p.Score, p.Type, tokens[i], sc[i], ty[i])
		}
	}
}
