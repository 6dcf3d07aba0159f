package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/train"
)

// chatsFixture is align's hand-written chat-data file (20 conversations).
var chatsFixture = filepath.Join("..", "..", "align", "testdata", "chats.jsonl")

// runCLIErr runs the root command and returns stdout and stderr.
func runCLIErr(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(""))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

// sftJSON splits llmpipe train sft --json output into the step lines' losses
// and the summary's before/after numbers.
func sftJSON(t *testing.T, stdout string) (losses []float64, before, after map[string]float64) {
	t.Helper()
	for _, ln := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var l struct {
			Kind    string             `json:"kind"`
			Loss    *float64           `json:"loss"`
			Summary string             `json:"summary"`
			Before  map[string]float64 `json:"before"`
			After   map[string]float64 `json:"after"`
		}
		if err := json.Unmarshal([]byte(ln), &l); err != nil {
			t.Fatalf("--json line %q: %v", ln, err)
		}
		switch {
		case l.Summary != "":
			before, after = l.Before, l.After
		case l.Kind == "" && l.Loss != nil:
			losses = append(losses, *l.Loss)
		}
	}
	if after == nil {
		t.Fatalf("no summary in\n%s", stdout)
	}
	return losses, before, after
}

// TestSFTData trains a new 1-layer model on the fixture for 40 steps: the
// assistant-token loss falls, the validation loss is reported before and
// after, and the checkpoint loads in train and in the runtime.
func TestSFTData(t *testing.T) {
	out := filepath.Join(t.TempDir(), "chat")
	stdout, stderr, err := runCLIErr(t, "train", "sft", "--data", chatsFixture, "--out", out, "--layers", "1", "--dim", "32",
		"--heads", "2", "--ctx", "80", "--steps", "40", "--batch", "4", "--lr", "1e-2", "--log-every", "1", "--val-frac", "0.1",
		"--template", "plain", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	losses, before, after := sftJSON(t, stdout)
	t.Logf("loss %.3f → %.3f; val_loss %.3f → %.3f", losses[0], losses[len(losses)-1], before["val_loss"], after["val_loss"])
	if len(losses) != 40 || !(losses[39] < losses[0]/2) {
		t.Errorf("assistant-token loss %v: want 40 steps, the last below half the first", losses)
	}
	if !(after["val_loss"] < before["val_loss"]) || !(before["val_loss"] > 4) {
		t.Errorf("val_loss %v → %v: want a fall from about ln 256", before["val_loss"], after["val_loss"])
	}
	for _, want := range []string{"20 conversations (18 training, 2 held out)", "template plain", "rows of 80 tokens"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	if _, meta, err := train.LoadModel(nil, out); err != nil || meta.Step != 40 || meta.Tokenizer.Kind != "bytes" {
		t.Fatalf("checkpoint: %v %+v", err, meta)
	}
	if _, tok, _, err := loadTrainedModel(out); err != nil || tok.VocabSize() != 256 {
		t.Fatalf("the runtime does not load the checkpoint: %v", err)
	}
}

// TestSFTDataFromTrain fine-tunes checkpoints of llmpipe train: a GPT-2 with
// bytes (chatml; by default plain, since the folder has no template and
// bytes have no <|im_end|> token llmpipe chat would stop at) and a Llama
// whose folder holds a chat_template.jinja (taken by default); a character
// vocabulary that lacks the template's characters is a clear error.
func TestSFTDataFromTrain(t *testing.T) {
	corpus := writeCorpus(t, 3000)
	base := filepath.Join(t.TempDir(), "gpt2")
	if _, err := runCLI(t, "", "train", "--data", corpus, "--out", base, "--arch", "gpt2", "--tokenizer", "bytes", "--layers", "1",
		"--dim", "16", "--heads", "2", "--ctx", "96", "--batch", "2", "--steps", "2", "--threads", "1"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "sft")
	plainOut := filepath.Join(t.TempDir(), "plain")
	_, stderr, err := runCLIErr(t, "train", "sft", "--data", chatsFixture, "--from", base, "--out", plainOut, "--steps", "1", "--batch", "2", "--truncate")
	if err != nil || !strings.Contains(stderr, "template plain") {
		t.Fatalf("default template of a bytes checkpoint without one: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(plainOut, "tokenizer_config.json")); !os.IsNotExist(err) {
		t.Errorf("plain (chat's own fallback) wrote a template file: %v", err)
	}
	stdout, stderr, err := runCLIErr(t, "train", "sft", "--data", chatsFixture, "--from", base, "--out", out, "--steps", "3", "--batch", "2", "--json", "--truncate", "--template", "chatml")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	// chatml writes 24 bytes + the role around each message: lines 2, 6, 8
	// and 10 take 105, 145, 136 and 115 bytes, more than 96
	if !strings.Contains(stderr, "template chatml") || !strings.Contains(stderr, "--truncate dropped 4 of 20 conversations longer than 96 tokens") {
		t.Errorf("progress:\n%s", stderr)
	}
	if _, _, after := sftJSON(t, stdout); !(after["val_loss"] > 0) {
		t.Errorf("summary %v", after)
	}
	if _, meta, err := train.LoadModel(nil, out); err != nil || meta.Config.Arch != train.ArchGPT2 || meta.Step != 3 {
		t.Fatalf("checkpoint: %v %+v", err, meta)
	}
	// the folder carries the template it was tuned with, for chat and serve
	cc, err := modelChatConfig(out)
	if err != nil || cc == nil {
		t.Fatalf("chat template of the tuned folder: %v %v", cc, err)
	}
	if src, err := cc.Select("", false); err != nil || !strings.Contains(src, "<|im_start|>") {
		t.Errorf("tuned folder's template: %q %v", src, err)
	}

	llama := filepath.Join(t.TempDir(), "llama")
	if _, err := runCLI(t, "", "train", "--data", corpus, "--out", llama, "--tokenizer", "bytes", "--layers", "1",
		"--dim", "16", "--heads", "2", "--ctx", "96", "--batch", "2", "--steps", "2", "--threads", "1"); err != nil {
		t.Fatal(err)
	}
	tmpl := "{% for m in messages %}{{ m['role'] + '> ' + m['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant> ' }}{% endif %}"
	if err := os.WriteFile(filepath.Join(llama, "chat_template.jinja"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = runCLIErr(t, "train", "sft", "--data", chatsFixture, "--from", llama, "--out", filepath.Join(t.TempDir(), "s"),
		"--steps", "2", "--batch", "2", "--ctx", "80", "--val-frac", "0")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"template the template of " + llama, "rows of 80 tokens", "20 training, 0 held out", "no validation loss"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}

	chars := filepath.Join(t.TempDir(), "chars")
	if _, err := runCLI(t, "", "train", "--data", corpus, "--out", chars, "--tokenizer", "chars", "--layers", "1",
		"--dim", "16", "--heads", "2", "--ctx", "64", "--batch", "2", "--steps", "1", "--threads", "1"); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLIErr(t, "train", "sft", "--data", chatsFixture, "--from", chars, "--out", t.TempDir(), "--steps", "1")
	if err == nil || !strings.Contains(err.Error(), "chats.jsonl:1: tokenizing") || !strings.Contains(err.Error(), "not in the") {
		t.Errorf("a character vocabulary without '<': %v", err)
	}
	_, _, err = runCLIErr(t, "train", "sft", "--data", chatsFixture, "--from", base, "--out", t.TempDir(), "--steps", "1", "--ctx", "97")
	if err == nil || !strings.Contains(err.Error(), "the checkpoint's context 96") {
		t.Errorf("--ctx above the checkpoint's: %v", err)
	}
}

func TestSFTDataErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}`+"\n"+
		`{"messages":[{"role":"user","content":"a"},{"role":"bot","content":"b"}]}`+"\n"), 0o644)
	small := []string{"--layers", "1", "--dim", "16", "--heads", "2", "--steps", "1"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"--tasks with --data", []string{"--data", chatsFixture, "--out", dir, "--tasks", "add"}, "--tasks is for the synthetic tasks"},
		{"--train-n with --data", []string{"--data", chatsFixture, "--out", dir, "--train-n", "5"}, "--train-n is for the synthetic tasks"},
		{"--test-n with --data", []string{"--data", chatsFixture, "--out", dir, "--test-n", "5"}, "--test-n is for the synthetic tasks"},
		{"--template without --data", []string{"--out", dir, "--template", "chatml"}, "--template applies to --data only"},
		{"--val-frac without --data", []string{"--out", dir, "--val-frac", "0.1"}, "--val-frac applies to --data only"},
		{"no --out", []string{"--data", chatsFixture}, "no --out"},
		{"missing file", []string{"--data", filepath.Join(dir, "none.jsonl"), "--out", dir}, "no such file"},
		{"bad line", []string{"--data", bad, "--out", dir}, `bad.jsonl:2: message 2: unknown role "bot"`},
		{"too long", append([]string{"--data", chatsFixture, "--out", dir, "--ctx", "40", "--template", "plain"}, small...), "chats.jsonl:2: the conversation has 47 tokens, more than the context 40"},
		{"all too long", append([]string{"--data", chatsFixture, "--out", dir, "--ctx", "16", "--truncate"}, small...), "every one of the 20 conversations"},
		{"--val-frac 1", append([]string{"--data", chatsFixture, "--out", dir, "--val-frac", "1"}, small...), "--val-frac 1"},
		{"unknown template", append([]string{"--data", chatsFixture, "--out", dir, "--template", "alpaca"}, small...), "neither a built-in (chatml, plain) nor a file"},
		{"--from without a checkpoint", []string{"--data", chatsFixture, "--out", dir, "--from", t.TempDir()}, "checkpoint"},
	} {
		_, _, err := runCLIErr(t, append([]string{"train", "sft"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
