package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/internal/shared"
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

// TestRunLlama2cMatchesLlamaCpp: `llmpipe run` on stories260K.bin with
// tok512.bin prints llama.cpp's 64 greedy tokens (for the GGUF converted from
// these files), which extend Karpathy's documented llama2.c output.
func TestRunLlama2cMatchesLlamaCpp(t *testing.T) {
	ref := loadGreedyRef(t)
	b, err := os.ReadFile(shared.Path(t, "reference/stories260K_llamacpp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Llama2c struct {
			N64FromPrompt string `json:"n64_from_prompt"`
		} `json:"llama2c_golden"`
	}
	if err := json.Unmarshal(b, &golden); err != nil || golden.Llama2c.N64FromPrompt == "" {
		t.Fatalf("llama2c_golden: %v", err)
	}
	args := []string{"run", "--model", shared.Path(t, "models/stories260K.bin"), "--tokenizer", shared.Path(t, "models/tok512.bin"),
		"--prompt", ref.Greedy.Prompt, "--max-tokens", "64"}
	out, err := runCLI(t, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	if want := ref.Greedy.GeneratedText + "\n"; out != want {
		t.Errorf("text:\n%q\nwant llama.cpp's\n%q", out, want)
	}
	if full := ref.Greedy.Prompt + out; !strings.HasPrefix(full, golden.Llama2c.N64FromPrompt) {
		t.Errorf("prompt+text\n%q\ndoes not start with llama2.c's golden\n%q", full, golden.Llama2c.N64FromPrompt)
	}
	out, err = runCLI(t, "", append(args, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var got runResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if !equalInts(got.PromptIDs, ref.Greedy.PromptTokens) || !equalInts(got.IDs, ref.Greedy.GeneratedTokens) || got.Text != ref.Greedy.GeneratedText {
		t.Errorf("prompt ids %v ids %v text %q, want %v %v %q", got.PromptIDs, got.IDs, got.Text,
			ref.Greedy.PromptTokens, ref.Greedy.GeneratedTokens, ref.Greedy.GeneratedText)
	}
}

// TestRunTokenizerFlagErrors: --tokenizer is required for a llama2.c
// checkpoint and refused for a GGUF file; bad files give errors, not panics.
func TestRunTokenizerFlagErrors(t *testing.T) {
	bin, tok := shared.Path(t, "models/stories260K.bin"), shared.Path(t, "models/tok512.bin")
	gg := shared.Path(t, "models/stories260K.gguf")
	dir := t.TempDir()
	short := filepath.Join(dir, "short.bin")
	if err := os.WriteFile(short, []byte{1, 2}, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", bin}, "needs --tokenizer"},
		{[]string{"--model", gg, "--tokenizer", tok}, "has its own tokenizer"},
		{[]string{"--model", tok, "--tokenizer", tok}, "llama2c:"},
		{[]string{"--model", bin, "--tokenizer", bin}, "llama2c: tokenizer"},
		{[]string{"--model", short, "--tokenizer", tok}, "fewer than 4 bytes"},
		{[]string{"--model", filepath.Join(dir, "none.bin"), "--tokenizer", tok}, "none.bin"},
	} {
		_, err := runCLI(t, "", append(append([]string{"run"}, c.args...), "--prompt", "x", "--max-tokens", "1")...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

// TestRunRoutesHFCheckpoints: a folder is read as a HF checkpoint (so its
// missing config.json is what the error names), never as GGUF.
func TestRunRoutesHFCheckpoints(t *testing.T) {
	dir := t.TempDir()
	_, err := runCLI(t, "", "run", "--model", dir, "--prompt", "hi")
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("run --model EMPTY_DIR: %v, want an error naming config.json", err)
	}
	_, err = runCLI(t, "", "run", "--model", filepath.Join(dir, "model.safetensors"), "--prompt", "hi")
	if err == nil {
		t.Fatal("run --model missing.safetensors succeeded")
	}
}
