package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/quant"
)

// greedyRef is reference/stories260K_llamacpp.json's greedy section.
type greedyRef struct {
	Greedy struct {
		Prompt          string `json:"prompt"`
		PromptTokens    []int  `json:"promptTokens"`
		GeneratedTokens []int  `json:"generatedTokens"`
		GeneratedText   string `json:"generatedText"`
	} `json:"greedy"`
}

func loadGreedyRef(t *testing.T) greedyRef {
	t.Helper()
	return loadGreedyRefFile(t, "stories260K_llamacpp.json")
}

func loadGreedyRefFile(t *testing.T, name string) greedyRef {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "reference/"+name))
	if err != nil {
		t.Fatal(err)
	}
	var r greedyRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRunMatchesLlamaCpp: `llmpipe run` prints llama.cpp's 64 greedy tokens
// for "Once upon a time" on stories260K.gguf, as text and as --json.
func TestRunMatchesLlamaCpp(t *testing.T) {
	ref := loadGreedyRef(t)
	path := shared.Path(t, "models/stories260K.gguf")
	args := []string{"run", "--model", path, "--prompt", ref.Greedy.Prompt, "--max-tokens", "64"}

	out, err := runCLI(t, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	if want := ref.Greedy.GeneratedText + "\n"; out != want {
		t.Errorf("text:\n%q\nwant llama.cpp's\n%q", out, want)
	}

	for _, kv := range []string{"--kv-f16=false", "--kv-f16"} {
		out, err = runCLI(t, "", append(args, "--json", kv)...)
		if err != nil {
			t.Fatal(err)
		}
		var got runResult
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: %v in %q", kv, err, out)
		}
		if !equalInts(got.PromptIDs, ref.Greedy.PromptTokens) || !equalInts(got.IDs, ref.Greedy.GeneratedTokens) {
			t.Errorf("%s: prompt ids %v ids %v, want %v %v", kv, got.PromptIDs, got.IDs, ref.Greedy.PromptTokens, ref.Greedy.GeneratedTokens)
		}
		if got.Text != ref.Greedy.GeneratedText || got.PromptTokS <= 0 || got.GenTokS <= 0 {
			t.Errorf("%s: text %q speeds %v %v", kv, got.Text, got.PromptTokS, got.GenTokS)
		}
		for _, key := range []string{`"prompt_ids":`, `"ids":`, `"text":`, `"prompt_tok_s":`, `"gen_tok_s":`} {
			if !strings.Contains(out, key) {
				t.Errorf("%s: --json output lacks %s: %s", kv, key, out)
			}
		}
	}
}

// TestRunQ8_0MatchesLlamaCpp: on stories260K-q8_0.gguf (Q8_0 matrices kept
// as blocks, activations quantized to Q8_0 as ggml does; ffn_down F32)
// `llmpipe run` gives llama.cpp's 64 greedy ids and text.
func TestRunQ8_0MatchesLlamaCpp(t *testing.T) {
	ref := loadGreedyRefFile(t, "stories260K_q8_0_llamacpp.json")
	args := []string{"run", "--model", shared.Path(t, "models/stories260K-q8_0.gguf"), "--prompt", ref.Greedy.Prompt, "--max-tokens", "64"}
	out, err := runCLI(t, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	if want := ref.Greedy.GeneratedText + "\n"; out != want {
		t.Errorf("text:\n%q\nwant llama.cpp's\n%q", out, want)
	}
	for _, kv := range []string{"--kv-f16=false", "--kv-f16"} {
		out, err := runCLI(t, "", append(args, "--json", kv)...)
		if err != nil {
			t.Fatal(err)
		}
		var got runResult
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: %v in %q", kv, err, out)
		}
		if !equalInts(got.PromptIDs, ref.Greedy.PromptTokens) || !equalInts(got.IDs, ref.Greedy.GeneratedTokens) {
			t.Errorf("%s: prompt ids %v ids %v, want %v %v", kv, got.PromptIDs, got.IDs, ref.Greedy.PromptTokens, ref.Greedy.GeneratedTokens)
		}
	}
}

// TestKernelsQ8_0AgreeWithQuant holds the Q8_0 code of package kernels to
// package quant (ggml's reference formats): the import table keeps kernels
// from importing quant, so the check lives here, where both may be used.
// kernels.QuantizeRowQ8_0 must be byte-identical to quant.Quantize, the
// block decoders equal to quant.Dequantize, and the block dot products
// close to float math over quant's dequantized values.
func TestKernelsQ8_0AgreeWithQuant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{32, 64, 288, 1024} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3)))
		}
		if n == 64 {
			clear(x[32:])          // an all-zero block
			x[0], x[1] = 127, 62.5 // an exact halfway case: 63 (away from zero), not 62
		}
		got := make([]byte, n/32*34)
		kernels.QuantizeRowQ8_0(got, x)
		want := make([]byte, n/32*34)
		if _, err := quant.Quantize(quant.Q8_0, x, want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("n %d: kernels.QuantizeRowQ8_0 differs from quant.Quantize", n)
		}
		deq, ref := make([]float32, n), make([]float32, n)
		kernels.DequantizeRowQ8_0(deq, got)
		if err := quant.Dequantize(quant.Q8_0, got, ref); err != nil {
			t.Fatal(err)
		}
		for i := range deq {
			if math.Float32bits(deq[i]) != math.Float32bits(ref[i]) {
				t.Fatalf("n %d: Q8_0 element %d: %v, quant %v", n, i, deq[i], ref[i])
			}
		}
		q4 := make([]byte, n/32*18)
		if _, err := quant.Quantize(quant.Q4_0, x, q4); err != nil {
			t.Fatal(err)
		}
		deq4, ref4 := make([]float32, n), make([]float32, n)
		kernels.DequantizeRowQ4_0(deq4, q4)
		if err := quant.Dequantize(quant.Q4_0, q4, ref4); err != nil {
			t.Fatal(err)
		}
		for i := range deq4 {
			if math.Float32bits(deq4[i]) != math.Float32bits(ref4[i]) {
				t.Fatalf("n %d: Q4_0 element %d: %v, quant %v", n, i, deq4[i], ref4[i])
			}
		}
		// dot products: integer sums are exact, so the float result is the
		// float64 sum of the dequantized products up to float32 rounding.
		for _, c := range []struct {
			name string
			dot  float32
			w    []float32
		}{{"Q8_0·Q8_0", kernels.DotQ8_0(want, want), ref}, {"Q4_0·Q8_0", kernels.DotQ4_0Q8_0(q4, want), ref4}} {
			var s, sabs float64
			for i := range ref {
				s += float64(c.w[i]) * float64(ref[i])
				sabs += math.Abs(float64(c.w[i]) * float64(ref[i]))
			}
			if d := math.Abs(float64(c.dot) - s); d > 1e-5*sabs+1e-30 {
				t.Errorf("n %d: %s = %v, float math %v", n, c.name, c.dot, s)
			}
		}
	}
}

func TestRunPromptLongerThanContext(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf") // context 512
	_, err := runCLI(t, "", "run", "--model", path, "--prompt", strings.Repeat("Once upon a time ", 200))
	if !errors.Is(err, generate.ErrContextExceeded) || !strings.Contains(err.Error(), "context length 512") {
		t.Fatalf("err = %v, want ErrContextExceeded naming the context length", err)
	}
}

func TestRunUnknownArchitecture(t *testing.T) {
	f := &gguf.File{KV: []gguf.KV{{Key: "general.architecture", Value: gguf.MustValue("mamba9")}}}
	var buf bytes.Buffer
	if _, err := gguf.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "m.gguf")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runCLI(t, "", "run", "--model", p, "--prompt", "x")
	if err == nil || !strings.Contains(err.Error(), `"mamba9"`) {
		t.Fatalf("err = %v, want one naming the architecture", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRunTinyRandom: on llama-2-tiny-random.gguf (F16 weights converted at
// load, 32000 vocab) the prompt ids equal llama.cpp's; the greedy ids are
// compared too but only logged, as near-uniform random weights make argmax
// fragile (see the reference README).
func TestRunTinyRandom(t *testing.T) {
	b, err := os.ReadFile(shared.Path(t, "reference/llama2_tiny_random_llamacpp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref greedyRef
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "", "run", "--model", shared.Path(t, "models/llama-2-tiny-random.gguf"),
		"--prompt", ref.Greedy.Prompt, "--max-tokens", "32", "--json", "--kv-f16")
	if err != nil {
		t.Fatal(err)
	}
	var got runResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !equalInts(got.PromptIDs, ref.Greedy.PromptTokens) {
		t.Errorf("prompt ids %v, want %v", got.PromptIDs, ref.Greedy.PromptTokens)
	}
	same := 0
	for same < len(got.IDs) && same < len(ref.Greedy.GeneratedTokens) && got.IDs[same] == ref.Greedy.GeneratedTokens[same] {
		same++
	}
	t.Logf("greedy ids: first %d of %d equal llama.cpp's", same, len(ref.Greedy.GeneratedTokens))
}
