package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer/builtin"
)

// TestTrainGPT2ExportSafetensors: a GPT-2 trained with a byte-level BPE
// tokenizer.json exports to an HF folder (config.json of model_type gpt2,
// model.safetensors, tokenizer.json) that `run --model DIR` runs with the
// same greedy ids as the checkpoint, in f32 (and after a further export of
// the folder to GGUF); an f16 export runs too.
func TestTrainGPT2ExportSafetensors(t *testing.T) {
	dir := t.TempDir()
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(tokPath, builtin.JSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	corpus := filepath.Join(dir, "corpus.txt")
	text := strings.Repeat("The cat sat on the mat. The dog ran to the park and back again.\n", 200)
	if err := os.WriteFile(corpus, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ck")
	if _, err := runCLI(t, "", "train", "--data", corpus, "--out", out, "--arch", "gpt2", "--tokenizer", tokPath,
		"--layers", "1", "--heads", "2", "--dim", "32", "--ctx", "32", "--batch", "2", "--steps", "4", "--threads", "1"); err != nil {
		t.Fatal(err)
	}
	gen := func(model string) []int {
		t.Helper()
		return runResultOf(t, "--model", model, "--prompt", "The cat", "--max-tokens", "12").IDs
	}
	fromCheckpoint := gen(out)
	for _, typ := range []string{"f32", "f16"} {
		hf := filepath.Join(dir, "hf-"+typ)
		if _, err := runCLI(t, "", "export", "--from", out, "--to", "safetensors", "--type", typ, "--out", hf); err != nil {
			t.Fatalf("export --type %s: %v", typ, err)
		}
		ents, _ := os.ReadDir(hf)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if strings.Join(names, ",") != "config.json,model.safetensors,tokenizer.json" {
			t.Errorf("%s: folder holds %v", typ, names)
		}
		var cfg struct {
			ModelType string `json:"model_type"`
			NEmbd     int    `json:"n_embd"`
		}
		if b, err := os.ReadFile(filepath.Join(hf, "config.json")); err != nil || json.Unmarshal(b, &cfg) != nil ||
			cfg.ModelType != "gpt2" || cfg.NEmbd != 32 {
			t.Errorf("%s: config.json %+v (%v)", typ, cfg, err)
		}
		ids := gen(hf)
		if typ == "f32" && (len(fromCheckpoint) == 0 || !slices.Equal(ids, fromCheckpoint)) {
			t.Errorf("greedy ids from the checkpoint %v, from its safetensors export %v", fromCheckpoint, ids)
		}
		if len(ids) == 0 {
			t.Errorf("%s: no ids", typ)
		}
	}
	// the HF folder converts on to GGUF (llama.cpp's gpt2) with the same ids
	g := filepath.Join(dir, "from-hf.gguf")
	if _, err := runCLI(t, "", "export", "--from", filepath.Join(dir, "hf-f32"), "--to", "gguf", "--out", g); err != nil {
		t.Fatal(err)
	}
	if ids := gen(g); !slices.Equal(ids, fromCheckpoint) {
		t.Errorf("greedy ids from the checkpoint %v, from HF → GGUF %v", fromCheckpoint, ids)
	}
	t.Logf("greedy ids %v", fromCheckpoint)
}
