package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

func writeCorpus(t *testing.T, n int) string {
	t.Helper()
	var sb strings.Builder
	for i := 0; sb.Len() < n; i++ {
		sb.WriteString([]string{"to be ", "or not ", "that is ", "the question. "}[i%4])
	}
	p := filepath.Join(t.TempDir(), "corpus.txt")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrainCLI runs llmpipe train with --json on a small corpus, resumes it,
// and checks the JSON lines, the outputs and the errors for bad input.
func TestTrainCLI(t *testing.T) {
	corpus := writeCorpus(t, 3000)
	out := filepath.Join(t.TempDir(), "run")
	cfg := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(cfg, []byte(`{"layers":1,"dim":16,"heads":2,"kv_heads":1,"ctx":8,"batch":2,"eval_every":2,"log_every":1,"tokenizer":"chars"}`), 0o644)
	stdout, err := runCLI(t, "", "train", "--data", corpus, "--out", out, "--config", cfg, "--steps", "4", "--json", "--threads", "1")
	if err != nil {
		t.Fatal(err)
	}
	type line struct {
		Step    int      `json:"step"`
		Loss    float64  `json:"loss"`
		ValLoss *float64 `json:"val_loss"`
		TokS    float64  `json:"tok_s"`
	}
	parse := func(s string) []line {
		var ls []line
		for _, ln := range strings.Split(strings.TrimSpace(s), "\n") {
			var l line
			if err := json.Unmarshal([]byte(ln), &l); err != nil {
				t.Fatalf("--json line %q: %v", ln, err)
			}
			ls = append(ls, l)
		}
		return ls
	}
	ls := parse(stdout)
	if len(ls) != 4 || ls[3].Step != 4 || ls[1].ValLoss == nil || ls[0].ValLoss != nil || !(ls[3].TokS > 0) || !(ls[3].Loss > 0) {
		t.Fatalf("--json lines %+v", ls)
	}
	for _, f := range []string{"checkpoint.safetensors", "metrics.jsonl", "loss.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	// resume: shape, tokenizer and training flags (batch, eval-every,
	// log-every from the first run's --config) come from the checkpoint
	stdout, err = runCLI(t, "", "train", "--data", corpus, "--out", out, "--steps", "6", "--resume", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if ls := parse(stdout); len(ls) != 2 || ls[0].Step != 5 || ls[1].Step != 6 || ls[1].ValLoss == nil {
		t.Fatalf("resumed --json lines %+v", ls)
	}
	if _, err := runCLI(t, "", "train", "--data", corpus, "--out", out, "--resume"); err == nil || !strings.Contains(err.Error(), "at step 6 already") {
		t.Fatalf("resume of a finished run: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, nil, 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"empty corpus", []string{"--data", empty, "--out", t.TempDir()}, "empty"},
		{"tiny corpus", []string{"--data", writeCorpus(t, 50), "--out", t.TempDir(), "--ctx", "64"}, "fewer than one window"},
		{"no data", []string{"--out", t.TempDir()}, "--data"},
		{"bad arch", []string{"--data", corpus, "--out", t.TempDir(), "--arch", "rwkv"}, "architecture"},
		{"bad config key", []string{"--data", corpus, "--out", t.TempDir(), "--config", writeJSON(t, `{"layerz":2}`)}, "unknown key"},
		{"checkpoint without --resume", []string{"--data", corpus, "--out", out}, "--resume"},
		{"too big", []string{"--data", corpus, "--out", t.TempDir(), "--layers", "64", "--dim", "8192", "--heads", "64", "--ctx", "8"}, "GiB"},
	} {
		_, err := runCLI(t, "", append([]string{"train"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func writeJSON(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(p, []byte(s), 0o644)
	return p
}

// TestTrainedModelRuns trains a tiny Llama for a few steps and checks that
// the runtime loads it from the output folder with its tokenizer and that
// greedy decoding gives the autograd model's argmax.
func TestTrainedModelRuns(t *testing.T) {
	corpus := writeCorpus(t, 3000)
	out := filepath.Join(t.TempDir(), "run")
	if _, err := runCLI(t, "", "train", "--data", corpus, "--out", out, "--tokenizer", "chars", "--layers", "1", "--dim", "16",
		"--heads", "2", "--ctx", "8", "--batch", "2", "--steps", "3", "--eval-every", "3", "--lr", "1e-2"); err != nil {
		t.Fatal(err)
	}
	if !isTrainCheckpoint(out) || !isTrainCheckpoint(filepath.Join(out, "checkpoint.safetensors")) || isTrainCheckpoint(corpus) {
		t.Fatal("isTrainCheckpoint")
	}
	m, tok, closeFn, err := loadTrainedModel(out)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	ids, err := tok.Encode("to be or", tokenizer.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	logits, err := m.NewSequence(model.SequenceOptions{}).Forward(ids, false)
	if err != nil {
		t.Fatal(err)
	}
	tm, _, err := train.LoadModel(nil, out)
	if err != nil {
		t.Fatal(err)
	}
	want := tm.Forward(nil, ids, 1).Data[(len(ids)-1)*tok.VocabSize():]
	for i := range want {
		if d := want[i] - logits[i]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("logit %d: runtime %v, autograd %v", i, logits[i], want[i])
		}
	}
}
