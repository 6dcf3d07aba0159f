package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	modelbuiltin "github.com/llmpipe/llmpipe/model/builtin"
)

// TestRunDefaultsToBuiltinModel: run with no --model generates text with
// the built-in model, the same text as run --model on its GGUF file
// written out.
func TestRunDefaultsToBuiltinModel(t *testing.T) {
	out, err := runCLI(t, "", "run", "--prompt", "Once upon a time", "--max-tokens", "24")
	if err != nil {
		t.Fatal(err)
	}
	gen, ok := strings.CutPrefix(out, "Once upon a time")
	if !ok {
		gen = out
	}
	letters := 0
	for _, r := range gen {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < 20 || len(strings.Fields(gen)) < 5 {
		t.Fatalf("run with the built-in model printed %q, not a few words of text", out)
	}
	path := filepath.Join(t.TempDir(), modelbuiltin.Name+".gguf")
	if err := os.WriteFile(path, modelbuiltin.GGUF(), 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile, err := runCLI(t, "", "run", "--model", path, "--prompt", "Once upon a time", "--max-tokens", "24")
	if err != nil {
		t.Fatal(err)
	}
	if fromFile != out {
		t.Fatalf("run --model %s printed %q; run with no --model printed %q", path, fromFile, out)
	}
}

// TestChatDefaultsToBuiltinModel: chat with no --model answers with the
// built-in model (plain-text format: it has no chat template).
func TestChatDefaultsToBuiltinModel(t *testing.T) {
	stdout, stderr := runChat(t, "Once upon a time\n", "--max-tokens", "16", "--temperature", "0")
	if strings.TrimSpace(stdout) == "" {
		t.Fatalf("chat with the built-in model printed no reply; stderr:\n%s", stderr)
	}
}

// TestDefaultModelRejectsTokenizer: --tokenizer without --model is an
// error, since the built-in model has its own tokenizer.
func TestDefaultModelRejectsTokenizer(t *testing.T) {
	_, err := runCLI(t, "", "run", "--tokenizer", "tok512.bin", "--prompt", "Hi")
	if err == nil || !strings.Contains(err.Error(), "--tokenizer needs --model") {
		t.Fatalf("err = %v, want --tokenizer needs --model", err)
	}
}
