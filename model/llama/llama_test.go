package llama

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/model"
)

// reference is the part of reference/<model>_llamacpp.json the tests read.
type reference struct {
	Greedy struct {
		PromptTokens    []int `json:"promptTokens"`
		GeneratedTokens []int `json:"generatedTokens"`
	} `json:"greedy"`
	Perplexity struct {
		Tokens   []int     `json:"tokens"`
		LogpNext []float64 `json:"logpNext"`
		MeanNLL  float64   `json:"meanNLL"`
	} `json:"perplexity"`
	Logprobs struct {
		Tokens   []int     `json:"tokens"`
		LogpNext []float64 `json:"logpNext"`
	} `json:"logprobs"`
}

func loadReference(t *testing.T, name string) *reference {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "reference/"+name))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func loadModel(t testing.TB, rel string) *Model {
	t.Helper()
	f, err := gguf.OpenMapped(shared.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// TestGreedyStories260K: the 64 greedy ids after "Once upon a time" (BOS and
// prompt ids from the reference) equal llama.cpp's.
func TestGreedyStories260K(t *testing.T) {
	ref := loadReference(t, "stories260K_llamacpp.json")
	m := loadModel(t, "models/stories260K.gguf")
	for _, kvf16 := range []bool{false, true} {
		requireGreedy(t, m, model.SequenceOptions{KVF16: kvf16}, ref.Greedy.PromptTokens, ref.Greedy.GeneratedTokens)
	}
}

// requireGreedy runs greedy decoding from prompt and fails t unless the ids
// equal want (llama.cpp's).
func requireGreedy(t *testing.T, m *Model, opts model.SequenceOptions, prompt, want []int) {
	t.Helper()
	seq := m.NewSequence(opts)
	logits, err := seq.Forward(prompt, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for range want {
		id := argmax(logits)
		got = append(got, id)
		if logits, err = seq.Forward([]int{id}, false); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range got {
		if id != want[i] {
			t.Fatalf("%+v: step %d: id %d, llama.cpp %d (got %v)", opts, i, id, want[i], got)
		}
	}
}

// logProbs returns log p(tokens[i+1] | tokens[..i]) for every position, from
// one batched Forward.
func logProbs(t *testing.T, m *Model, tokens []int, opts model.SequenceOptions) []float64 {
	t.Helper()
	seq := m.NewSequence(opts)
	logits, err := seq.Forward(tokens, true)
	if err != nil {
		t.Fatal(err)
	}
	V := m.VocabSize()
	out := make([]float64, len(tokens)-1)
	for i := range out {
		row := logits[i*V : (i+1)*V]
		mx := float64(row[argmax(row)])
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		out[i] = float64(row[tokens[i+1]]) - mx - math.Log(sum)
	}
	return out
}

// TestPerplexityStories260K compares per-position log-probabilities over the
// reference's 512-token text with llama.cpp's, with the KV cache in f32 and
// rounded to f16 as llama.cpp stores it.
func TestPerplexityStories260K(t *testing.T) {
	ref := loadReference(t, "stories260K_llamacpp.json")
	m := loadModel(t, "models/stories260K.gguf")
	for _, kvf16 := range []bool{false, true} {
		lp := logProbs(t, m, ref.Perplexity.Tokens, model.SequenceOptions{KVF16: kvf16})
		var nll, meanAbs, maxAbs float64
		for i, v := range lp {
			nll -= v
			d := math.Abs(v - ref.Perplexity.LogpNext[i])
			meanAbs += d
			maxAbs = max(maxAbs, d)
		}
		nll /= float64(len(lp))
		meanAbs /= float64(len(lp))
		ppl := math.Exp(nll)
		t.Logf("kvf16=%v: ppl %.4f (llama.cpp %.4f), mean |Δlogp| %.5f, max %.4f", kvf16, ppl, math.Exp(ref.Perplexity.MeanNLL), meanAbs, maxAbs)
		if math.Abs(ppl-5.583) > 0.003 {
			t.Errorf("kvf16=%v: perplexity %.4f, want 5.583 ± 0.003", kvf16, ppl)
		}
		if meanAbs > 0.005 {
			t.Errorf("kvf16=%v: mean |Δlogp| %.5f > 0.005", kvf16, meanAbs)
		}
	}
}
