package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/align"
	"github.com/llmpipe/llmpipe/train"
)

// runAlign runs `train ARGS...` with the align subcommands and returns stdout.
func runAlign(t *testing.T, args ...string) string {
	t.Helper()
	trainCmd := &cobra.Command{Use: "train"}
	addAlignCommands(trainCmd)
	var out, errOut bytes.Buffer
	trainCmd.SetOut(&out)
	trainCmd.SetErr(&errOut)
	trainCmd.SetArgs(args)
	if err := trainCmd.Execute(); err != nil {
		t.Fatalf("train %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// TestAlignCommands runs sft → reward → dpo → rl with a few steps each on a
// tiny model and checks the outputs: checkpoints that load, a reward head,
// summaries with before/after numbers in range.
func TestAlignCommands(t *testing.T) {
	dir := t.TempDir()
	sft, rm := filepath.Join(dir, "sft"), filepath.Join(dir, "rm")
	small := []string{"--train-n", "64", "--test-n", "8", "--steps", "3", "--batch", "2", "--json"}
	summary := func(out string) map[string]map[string]float64 {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var s map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil || s["summary"] == nil {
			t.Fatalf("last line %q is not a summary (%v)", lines[len(lines)-1], err)
		}
		res := map[string]map[string]float64{}
		for _, k := range []string{"before", "after"} {
			res[k] = map[string]float64{}
			for n, v := range s[k].(map[string]any) {
				res[k][n] = v.(float64)
			}
		}
		return res
	}
	s := summary(runAlign(t, append([]string{"sft", "--out", sft, "--layers", "1", "--dim", "16", "--heads", "2", "--ctx", "32"}, small...)...))
	if a := s["after"]["accuracy"]; a < 0 || a > 1 {
		t.Errorf("sft accuracy %v", a)
	}
	if _, meta, err := train.LoadModel(nil, sft); err != nil || meta.Tokenizer.Chars != align.Alphabet || meta.Step != 3 {
		t.Fatalf("sft checkpoint: %v %+v", err, meta)
	}
	s = summary(runAlign(t, append([]string{"reward", "--sft", sft, "--out", rm}, small...)...))
	if _, ok := s["after"]["pair_accuracy"]; !ok {
		t.Errorf("reward summary %v", s)
	}
	if _, err := os.Stat(filepath.Join(sft, "loss.png")); err != nil {
		t.Errorf("sft wrote no loss curve: %v", err)
	}
	if _, _, err := align.LoadRewardModel(rm); err != nil {
		t.Error(err)
	}
	if _, _, err := align.LoadRewardModel(sft); err == nil {
		t.Error("an SFT checkpoint loaded as a reward model")
	}
	s = summary(runAlign(t, append([]string{"dpo", "--sft", sft, "--out", filepath.Join(dir, "dpo")}, small...)...))
	if w := s["after"]["win_rate"]; w < 0 || w > 1 || s["before"]["win_rate"] != 0.5 {
		t.Errorf("dpo summary %v", s)
	}
	s = summary(runAlign(t, append([]string{"rl", "--sft", sft, "--reward-model", rm, "--group", "2", "--out", filepath.Join(dir, "rl")}, small...)...))
	if _, ok := s["after"]["kl"]; !ok {
		t.Errorf("rl summary %v", s)
	}
}

func TestAlignCommandErrors(t *testing.T) {
	for _, args := range [][]string{
		{"sft"}, // no --out
		{"sft", "--out", t.TempDir(), "--tasks", "mul"},    // unknown task
		{"dpo", "--out", t.TempDir()},                      // no --sft
		{"rl", "--out", t.TempDir(), "--sft", t.TempDir()}, // no checkpoint
	} {
		trainCmd := &cobra.Command{Use: "train"}
		addAlignCommands(trainCmd)
		trainCmd.SetOut(&bytes.Buffer{})
		trainCmd.SetErr(&bytes.Buffer{})
		trainCmd.SetArgs(args)
		if err := trainCmd.Execute(); err == nil {
			t.Errorf("train %v gave no error", args)
		}
	}
}
