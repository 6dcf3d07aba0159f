package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
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

// runJSON runs `llmpipe run --json` with args on stories260K.gguf and
// decodes the output.
func runJSON(t *testing.T, args ...string) runResult {
	t.Helper()
	return runResultOf(t, append([]string{"--model", shared.Path(t, "models/stories260K.gguf")}, args...)...)
}

// TestRunSamplingOnStories260K: --temperature 0 is llama.cpp's greedy
// decoding; --top-k 1 is greedy at any temperature; a fixed seed gives the
// same ids on every run and thread count.
func TestRunSamplingOnStories260K(t *testing.T) {
	ref := loadGreedyRef(t)
	p := ref.Greedy.Prompt
	t.Cleanup(func() { kernels.SetThreads(0) })

	got := runJSON(t, "--prompt", p, "--max-tokens", "64", "--temperature", "0")
	if !equalInts(got.IDs, ref.Greedy.GeneratedTokens) || got.FinishReason != "length" || got.Seed != nil {
		t.Errorf("--temperature 0: ids %v finish %q seed %v, want llama.cpp's %v, length, no seed", got.IDs, got.FinishReason, got.Seed, ref.Greedy.GeneratedTokens)
	}
	for _, seed := range []string{"1", "2"} {
		got := runJSON(t, "--prompt", p, "--max-tokens", "64", "--temperature", "1.5", "--top-k", "1", "--seed", seed)
		if !equalInts(got.IDs, ref.Greedy.GeneratedTokens) {
			t.Errorf("--top-k 1 --temperature 1.5 --seed %s: %v, want greedy %v", seed, got.IDs, ref.Greedy.GeneratedTokens)
		}
	}
	sampled := []string{"--prompt", p, "--max-tokens", "64", "--temperature", "0.9", "--top-p", "0.95", "--seed", "1234"}
	first := runJSON(t, append(sampled, "--threads", "1")...)
	if first.Seed == nil || *first.Seed != 1234 {
		t.Errorf("seed reported as %v", first.Seed)
	}
	if equalInts(first.IDs, ref.Greedy.GeneratedTokens) {
		t.Errorf("--temperature 0.9 gave the greedy ids")
	}
	for _, threads := range []string{"1", "2", "2"} {
		again := runJSON(t, append(sampled, "--threads", threads)...)
		if !equalInts(again.IDs, first.IDs) || again.Text != first.Text {
			t.Errorf("--threads %s: %v, first run %v", threads, again.IDs, first.IDs)
		}
	}
	if other := runJSON(t, append(sampled[:len(sampled)-1], "4321")...); equalInts(other.IDs, first.IDs) {
		t.Errorf("seeds 1234 and 4321 gave the same 64 ids")
	}
}

// TestRunFlagsAreApplied: every sampling flag changes the output of a
// seeded run (none is accepted and silently ignored).
func TestRunFlagsAreApplied(t *testing.T) {
	ref := loadGreedyRef(t)
	base := []string{"--prompt", ref.Greedy.Prompt, "--max-tokens", "64", "--temperature", "1.5", "--seed", "7"}
	plain := runJSON(t, base...)
	for _, flag := range [][]string{
		{"--top-k", "3"}, {"--top-p", "0.5"}, {"--min-p", "0.2"}, {"--typical-p", "0.5"},
		{"--repeat-penalty", "1.5"}, {"--frequency-penalty", "1"}, {"--presence-penalty", "1"},
	} {
		if got := runJSON(t, append(base, flag...)...); equalInts(got.IDs, plain.IDs) {
			t.Errorf("%v did not change the sampled ids", flag)
		}
	}
	// Penalties apply at temperature 0 too, as in llama.cpp.
	greedy := runJSON(t, "--prompt", ref.Greedy.Prompt, "--max-tokens", "64", "--repeat-penalty", "1.3")
	if equalInts(greedy.IDs, ref.Greedy.GeneratedTokens) {
		t.Errorf("--repeat-penalty 1.3 at temperature 0 left the greedy ids unchanged")
	}
	// --repeat-last-n 0 turns the penalties off (llama.cpp).
	off := runJSON(t, "--prompt", ref.Greedy.Prompt, "--max-tokens", "64", "--repeat-penalty", "1.3", "--repeat-last-n", "0")
	if !equalInts(off.IDs, ref.Greedy.GeneratedTokens) {
		t.Errorf("--repeat-last-n 0 did not turn the penalty off")
	}
}

// TestRunStopStrings: a stop string that spans tokens ends generation; it
// and what follows are neither printed nor in "text".
func TestRunStopStrings(t *testing.T) {
	ref := loadGreedyRef(t)
	full := ref.Greedy.GeneratedText
	path := shared.Path(t, "models/stories260K.gguf")
	for _, stop := range []string{"girl named", "Lily", "ly. S", "e"} {
		i := strings.Index(full, stop)
		if i < 0 {
			t.Fatalf("%q not in the greedy text %q", stop, full)
		}
		want := full[:i]
		got := runJSON(t, "--prompt", ref.Greedy.Prompt, "--max-tokens", "64", "--stop", stop, "--stop", "never seen")
		if got.Text != want || got.FinishReason != "stop" {
			t.Errorf("--stop %q: text %q finish %q, want %q stop", stop, got.Text, got.FinishReason, want)
		}
		out, err := runCLI(t, "", "run", "--model", path, "--prompt", ref.Greedy.Prompt, "--max-tokens", "64", "--stop", stop)
		if err != nil || out != want+"\n" {
			t.Errorf("--stop %q streamed %q (%v), want %q", stop, out, err, want+"\n")
		}
		// Beam search: every beam ends at its first stop string.
		beams := runJSON(t, "--prompt", ref.Greedy.Prompt, "--max-tokens", "64", "--stop", stop, "--beams", "3")
		for i, b := range beams.Beams {
			if strings.Contains(b.Text, stop) || (b.FinishReason == "length" && len(b.IDs) != 64) {
				t.Errorf("--stop %q --beams 3: beam %d %q (%s, %d ids)", stop, i, b.Text, b.FinishReason, len(b.IDs))
			}
		}
		if len(beams.Beams) != 3 {
			t.Errorf("--stop %q --beams 3: %d beams", stop, len(beams.Beams))
		}
	}
}

// tokenLogProbs returns log p(tokens[i+1] | tokens[..i]) for i ≥ from-1 by
// one batched Forward over tokens (a pass separate from generation).
func tokenLogProbs(t *testing.T, m model.Model, tokens []int, from int) []float64 {
	t.Helper()
	logits, err := m.NewSequence(model.SequenceOptions{}).Forward(tokens, true)
	if err != nil {
		t.Fatal(err)
	}
	V := m.VocabSize()
	var out []float64
	for i := from - 1; i+1 < len(tokens); i++ {
		row := logits[i*V : (i+1)*V]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		out = append(out, float64(row[tokens[i+1]])-mx-math.Log(sum))
	}
	return out
}

// TestRunBeamsOnStories260K: --beams 1 is greedy decoding; --beams 4 gives 4
// distinct sequences whose scores are the sums of their tokens'
// log-probabilities, recomputed here by a separate batched forward pass.
func TestRunBeamsOnStories260K(t *testing.T) {
	ref := loadGreedyRef(t)
	one := runJSON(t, "--prompt", ref.Greedy.Prompt, "--max-tokens", "64", "--beams", "1")
	if !equalInts(one.IDs, ref.Greedy.GeneratedTokens) || len(one.Beams) != 1 || one.Text != ref.Greedy.GeneratedText {
		t.Errorf("--beams 1: %v, want greedy %v", one.IDs, ref.Greedy.GeneratedTokens)
	}
	m, tok, closeModel, err := loadRunModel(shared.Path(t, "models/stories260K.gguf"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeModel()
	eos := tok.Specials().EOS
	for _, args := range [][]string{
		{"--max-tokens", "40"},
		{"--max-tokens", "100", "--prompt", "Lily went"},
		{"--max-tokens", "60", "--prompt", "The end", "--early-stopping", "--length-penalty", "0.5"},
	} {
		// scores are checked against the float32 forward pass below
		all := append([]string{"--prompt", ref.Greedy.Prompt, "--beams", "4", "--kv-f16=false"}, args...)
		got := runJSON(t, all...)
		if len(got.Beams) != 4 {
			t.Fatalf("%v: %d beams", args, len(got.Beams))
		}
		if !equalInts(got.IDs, got.Beams[0].IDs) || got.Text != got.Beams[0].Text || got.FinishReason != got.Beams[0].FinishReason {
			t.Errorf("%v: top-level ids/text are not the best beam's", args)
		}
		seen := map[string]bool{}
		for i, b := range got.Beams {
			key := fmt.Sprint(b.IDs)
			if seen[key] {
				t.Errorf("%v: beam %d repeats %v", args, i, b.IDs)
			}
			seen[key] = true
			seq := append(slices.Clone(got.PromptIDs), b.IDs...)
			if b.FinishReason == "stop" {
				seq = append(seq, eos)
			}
			var sum float64
			for _, lp := range tokenLogProbs(t, m, seq, len(got.PromptIDs)) {
				sum += lp
			}
			if math.Abs(sum-b.Score) > 1e-4 {
				t.Errorf("%v: beam %d (%d ids, %s): score %.6f, recomputed %.6f", args, i, len(b.IDs), b.FinishReason, b.Score, sum)
			}
			if i > 0 && b.NormalizedScore > got.Beams[i-1].NormalizedScore {
				t.Errorf("%v: beams not ordered best first", args)
			}
		}
	}
}

// TestRunLogProbs: --logprobs N reports each generated token's raw
// log-probability (recomputed by a batched forward pass) and N alternatives.
func TestRunLogProbs(t *testing.T) {
	ref := loadGreedyRef(t)
	// checked against the float32 forward pass of tokenLogProbs
	got := runJSON(t, "--prompt", ref.Greedy.Prompt, "--max-tokens", "16", "--logprobs", "3", "--temperature", "1", "--seed", "3", "--kv-f16=false")
	if got.LogProbs == nil || len(*got.LogProbs) != len(got.IDs) {
		t.Fatalf("logprobs %v for %d ids", got.LogProbs, len(got.IDs))
	}
	m, _, closeModel, err := loadRunModel(shared.Path(t, "models/stories260K.gguf"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeModel()
	want := tokenLogProbs(t, m, append(slices.Clone(got.PromptIDs), got.IDs...), len(got.PromptIDs))
	var text string
	for i, lp := range *got.LogProbs {
		if lp.ID != got.IDs[i] || math.Abs(lp.LogProb-want[i]) > 1e-4 || len(lp.TopLogProbs) != 3 {
			t.Errorf("step %d: %+v, want id %d logprob %.5f", i, lp, got.IDs[i], want[i])
		}
		if top := lp.TopLogProbs; top[0].LogProb < top[1].LogProb || top[1].LogProb < top[2].LogProb || lp.LogProb > top[0].LogProb+1e-9 {
			t.Errorf("step %d: alternatives not most likely first: %+v", i, lp)
		}
		text += lp.Token
	}
	if text != got.Text {
		t.Errorf("tokens join to %q, text %q", text, got.Text)
	}
	if none := runJSON(t, "--prompt", ref.Greedy.Prompt, "--max-tokens", "4"); none.LogProbs != nil {
		t.Errorf("logprobs reported without --logprobs")
	}
}

// TestRunBadSamplingFlags: invalid values are errors naming the flag.
func TestRunBadSamplingFlags(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--temperature", "-1"}, "--temperature"},
		{[]string{"--temperature", "NaN"}, "--temperature"},
		{[]string{"--top-k", "-1"}, "--top-k"},
		{[]string{"--top-p", "0"}, "--top-p"},
		{[]string{"--top-p", "1.5"}, "--top-p"},
		{[]string{"--top-p", "NaN"}, "--top-p"},
		{[]string{"--min-p", "-0.1"}, "--min-p"},
		{[]string{"--typical-p", "0"}, "--typical-p"},
		{[]string{"--repeat-penalty", "0"}, "--repeat-penalty"},
		{[]string{"--repeat-last-n", "-2"}, "--repeat-last-n"},
		{[]string{"--frequency-penalty", "Inf"}, "--frequency-penalty"},
		{[]string{"--beams", "-1"}, "--beams"},
		{[]string{"--logprobs", "-1"}, "--logprobs"},
		{[]string{"--stop", ""}, "--stop"},
		{[]string{"--beams", "2", "--temperature", "0.5"}, "--beams"},
	} {
		_, err := runCLI(t, "", append([]string{"run", "--model", path, "--prompt", "x", "--max-tokens", "1"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %s", c.args, err, c.want)
		}
	}
}
