package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/data"
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
		return runResultOf(t, "--model", model, "--prompt", "ROMEO:", "--max-tokens", "12").IDs
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

// TestTrainParsesSpecialTokens: "<|endoftext|>" between stories becomes the
// tokenizer's end-of-text id in the token file (so a model learns to end a
// text), and stays plain text with --raw-special.
func TestTrainParsesSpecialTokens(t *testing.T) {
	dir := t.TempDir()
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(tokPath, builtin.JSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := builtin.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	eos := tok.Specials().EOS
	story := "Once upon a time, there was a cat. The cat was happy.\n<|endoftext|>\n"
	corpus := filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(corpus, []byte(strings.Repeat(story, 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []bool{false, true} {
		out := filepath.Join(dir, fmt.Sprint("ck", raw))
		args := []string{"train", "--data", corpus, "--out", out, "--tokenizer", tokPath, "--layers", "1", "--heads", "2",
			"--dim", "16", "--ctx", "16", "--batch", "1", "--steps", "1"}
		if raw {
			args = append(args, "--raw-special")
		}
		if _, err := runCLI(t, "", args...); err != nil {
			t.Fatal(err)
		}
		ids, err := data.Open(filepath.Join(out, "tokens.bin"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := 0; i < ids.Len(); i++ {
			if ids.At(i) == eos {
				n++
			}
		}
		ids.Close()
		if want := map[bool]int{false: 200, true: 0}[raw]; n != want {
			t.Errorf("--raw-special=%v: %d end-of-text ids (%d) in the token file, want %d", raw, n, eos, want)
		}
	}
}
