package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer/builtin"
)

// TestTrainThenRunAndExport: a model trained with a byte-level BPE
// tokenizer.json runs from its checkpoint folder and exports to a GGUF file
// (llama.cpp's gpt2 vocabulary) that gives the same greedy ids.
func TestTrainThenRunAndExport(t *testing.T) {
	dir := t.TempDir()
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(tokPath, builtin.JSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ck")
	corpus := shared.Path(t, "corpora/tinyshakespeare.txt")
	if _, err := runCLI(t, "", "train", "--data", corpus, "--out", out, "--arch", "llama", "--tokenizer", tokPath,
		"--layers", "1", "--heads", "2", "--dim", "32", "--ctx", "32", "--batch", "2", "--steps", "4", "--threads", "1"); err != nil {
		t.Fatal(err)
	}
	gen := func(model string) []int {
		t.Helper()
		s, err := runCLI(t, "", "run", "--model", model, "--prompt", "ROMEO:", "--max-tokens", "12", "--json")
		if err != nil {
			t.Fatalf("run %s: %v", model, err)
		}
		var r runResult
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatalf("%v in %q", err, s)
		}
		return r.IDs
	}
	fromCheckpoint := gen(out)
	g := filepath.Join(dir, "trained.gguf")
	if _, err := runCLI(t, "", "export", "--from", out, "--to", "gguf", "--out", g); err != nil {
		t.Fatal(err)
	}
	if fromGGUF := gen(g); len(fromCheckpoint) == 0 || !slices.Equal(fromGGUF, fromCheckpoint) {
		t.Errorf("greedy ids from the checkpoint %v, from its GGUF export %v", fromCheckpoint, fromGGUF)
	}
}
