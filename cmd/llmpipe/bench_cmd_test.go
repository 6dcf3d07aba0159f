package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// TestBenchJSON: bench --json on stories260K.gguf prints the documented
// object with positive rates and one sample per repetition.
func TestBenchJSON(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	out, err := runCLI(t, "", "bench", "--model", path, "--prompt-tokens", "16", "--gen-tokens", "8", "--reps", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	for _, k := range []string{"pp_tok_s", "tg_tok_s", "pp_tok_s_stddev", "tg_tok_s_stddev", "pp_samples_tok_s", "tg_samples_tok_s", "prompt_tokens", "gen_tokens", "reps", "model", "arch", "n_ctx", "kv_f16",
		"threads", "prompt_source", "prompt_ids", "gen_ids", "load_s", "file_bytes", "kv_bytes", "peak_rss_mb"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("--json lacks %q: %s", k, out)
		}
	}
	var got benchResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !(got.PPTokS > 0) || !(got.TGTokS > 0) || math.IsInf(got.PPTokS, 0) || math.IsInf(got.TGTokS, 0) {
		t.Errorf("rates pp %v tg %v, want positive and finite", got.PPTokS, got.TGTokS)
	}
	if len(got.PPSamples) != 2 || len(got.TGSamples) != 2 || got.PPTokSStddev < 0 || got.TGTokSStddev < 0 {
		t.Errorf("samples %v %v stddev %v %v", got.PPSamples, got.TGSamples, got.PPTokSStddev, got.TGTokSStddev)
	}
	if got.PromptTokens != 16 || got.GenTokens != 8 || got.Reps != 2 || got.Arch != "llama" || got.Model != "stories260K.gguf" || got.ContextLen != 512 {
		t.Errorf("fields %+v", got)
	}
	// stories260K: dim 64, 5 layers, 4 KV heads of 8; 16+8 positions in float32
	if got.KVBytes != 5*2*24*32*4 || got.FileBytes <= 0 || !(got.LoadS >= 0) {
		t.Errorf("kv_bytes %d file_bytes %d load_s %v", got.KVBytes, got.FileBytes, got.LoadS)
	}
	if runtime.GOOS == "linux" && (!(got.PeakRSSMB > 0) || got.RSSFileMB == nil || got.RSSAnonMB == nil || got.LoadRSSAnonMB == nil) {
		t.Errorf("memory figures missing on Linux: %s", out)
	}
}

// TestBenchPrompt: the prompt is BOS and the tokens of llamacpp_bench.mjs's
// text, as llama.cpp tokenizes it (the first ids of the 256-token prompt
// llamacpp_bench.mjs built for bench-110m, whose vocabulary is Llama 2's, as
// llama-2-tiny-random.gguf's); the greedy ids follow from the prompt's last
// logits, and a model without a tokenizer gets random ids.
func TestBenchPrompt(t *testing.T) {
	path := shared.Path(t, "models/llama-2-tiny-random.gguf")
	out, err := runCLI(t, "", "bench", "--model", path, "--prompt-tokens", "40", "--gen-tokens", "3", "--reps", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got benchResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// llama.cpp's ids for "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she …"
	want := []int{1, 9038, 2501, 263, 931, 29892, 727, 471, 263, 2217, 7826, 4257, 365, 2354, 29889, 2296, 18012, 304, 1708, 5377, 297, 278, 14089, 29889, 3118, 2462, 29892, 1183}
	if got.PromptSource != "text" || len(got.PromptIDs) != 40 || !slices.Equal(got.PromptIDs[:len(want)], want) {
		t.Errorf("prompt %s %v, want %v…", got.PromptSource, got.PromptIDs, want)
	}
	if len(got.GenIDs) != 3 {
		t.Errorf("gen_ids %v, want 3", got.GenIDs)
	}
	path = shared.Path(t, "models/stories260K.bin")
	out, err = runCLI(t, "", "bench", "--model", path, "--prompt-tokens", "8", "--gen-tokens", "2", "--reps", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.PromptSource != "random" || len(got.PromptIDs) != 8 {
		t.Errorf("llama2.c checkpoint: prompt %s %v", got.PromptSource, got.PromptIDs)
	}
}

// TestBenchTable: the default output is a llama-bench-like table with one
// row per test; a llama2.c checkpoint needs no tokenizer.
func TestBenchTable(t *testing.T) {
	for _, name := range []string{"models/stories260K.gguf", "models/stories260K.bin"} {
		path := shared.Path(t, name)
		out, err := runCLI(t, "", "bench", "--model", path, "--prompt-tokens", "8", "--gen-tokens", "4", "--reps", "1", "--kv-f16")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(out, "pp8") || !strings.Contains(out, "tg4") || !strings.Contains(out, "t/s") || !strings.Contains(out, "f16") {
			t.Errorf("%s: table:\n%s", name, out)
		}
	}
}

// TestBenchErrors: counts beyond the context and bad flags are clear errors.
func TestBenchErrors(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--prompt-tokens", "513"}, "context holds 512"},
		{[]string{"--gen-tokens", "600"}, "context holds 512"},
		{[]string{"--prompt-tokens", "400", "--gen-tokens", "113"}, "= 513 positions: the model's context holds 512"},
		{[]string{"--prompt-tokens", "0", "--gen-tokens", "0"}, "nothing to measure"},
		{[]string{"--reps", "0"}, "at least 1"},
		{[]string{"--prompt-tokens", "-1"}, "negative"},
		{[]string{"--threads", "-1"}, "negative"},
	} {
		_, err := runCLI(t, "", append([]string{"bench", "--model", path}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	if _, err := runCLI(t, "", "bench"); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("no --model: %v", err)
	}
}

func TestMeanStddev(t *testing.T) {
	m, s := meanStddev([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if m != 5 || math.Abs(s-2.138089935) > 1e-8 {
		t.Errorf("got %v %v", m, s)
	}
	if m, s := meanStddev([]float64{3}); m != 3 || s != 0 {
		t.Errorf("one sample: %v %v", m, s)
	}
}

// TestBenchCachedName: --model takes a name pulled earlier, found in the
// cache (here a link to the shared file); an unpulled name says how to pull it.
func TestBenchCachedName(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	cache := t.TempDir()
	dir := filepath.Join(cache, "hf", "o", "r", "main")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(path, filepath.Join(dir, "s.gguf")); err != nil {
		t.Skip("no symlinks:", err)
	}
	out, err := runCLI(t, "", "bench", "--model", "hf://o/r/s.gguf", "--cache-dir", cache, "--prompt-tokens", "4", "--gen-tokens", "2", "--reps", "1", "--json")
	if err != nil || !strings.Contains(out, `"model":"s.gguf"`) {
		t.Errorf("cached name: %v %s", err, out)
	}
	if _, err := runCLI(t, "", "bench", "--model", "hf://o/r/other.gguf", "--cache-dir", cache); err == nil || !strings.Contains(err.Error(), "llmpipe pull hf://o/r/other.gguf") {
		t.Errorf("unpulled name: %v", err)
	}
}
