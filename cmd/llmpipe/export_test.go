package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/hf"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// TestExportCLI: stories260K exported by `llmpipe export` (GGUF F32 and
// Q8_0, safetensors, and the llama2.c checkpoint with tok512.bin to GGUF)
// runs with llama.cpp's 64 greedy ids, and nothing but the outputs is left
// in the folder.
func TestExportCLI(t *testing.T) {
	ref := loadGreedyRef(t)
	src := shared.Path(t, "models/stories260K.gguf")
	dir := t.TempDir()
	out := func(n string) string { return filepath.Join(dir, n) }
	check := func(name string, args ...string) {
		t.Helper()
		r := runResultOf(t, append(args, "--prompt", ref.Greedy.Prompt, "--max-tokens", "64")...)
		p, ids := r.PromptIDs, r.IDs
		if !slices.Equal(p, ref.Greedy.PromptTokens) || !slices.Equal(ids, ref.Greedy.GeneratedTokens) {
			t.Errorf("%s: prompt %v ids %v, llama.cpp %v %v", name, p, ids, ref.Greedy.PromptTokens, ref.Greedy.GeneratedTokens)
		}
	}
	for _, args := range [][]string{
		{"--from", src, "--to", "gguf", "--out", out("f32.gguf")},
		{"--from", src, "--to", "gguf", "--type", "q8_0", "--out", out("q8.gguf")},
		{"--from", src, "--to", "safetensors", "--out", out("hf")},
		{"--from", shared.Path(t, "models/stories260K.bin"), "--tokenizer", shared.Path(t, "models/tok512.bin"), "--to", "gguf", "--out", out("l2c.gguf")},
		{"--from", out("hf"), "--tokenizer", src, "--to", "gguf", "--type", "f16", "--out", out("hf16.gguf")},
	} {
		if _, err := runCLI(t, "", append([]string{"export"}, args...)...); err != nil {
			t.Fatalf("export %v: %v", args, err)
		}
	}
	check("f32", "--model", out("f32.gguf"))
	check("q8_0 (f16 KV, as llama.cpp)", "--model", out("q8.gguf"), "--kv-f16")
	check("safetensors", "--model", out("hf"), "--tokenizer", src)
	check("llama2.c → gguf", "--model", out("l2c.gguf"))
	check("safetensors → gguf f16", "--model", out("hf16.gguf"), "--kv-f16")

	// The llama2.c vocabulary equals the one in stories260K.gguf (made by
	// the shared llama2c_to_gguf.py converter).
	a, _ := gguf.Open(src)
	defer a.Close()
	b, _ := gguf.Open(out("l2c.gguf"))
	defer b.Close()
	for _, kv := range llama.TokenizerKVs(a) {
		v, ok := b.Value(kv.Key)
		if !ok || v.String() != kv.Value.String() {
			t.Errorf("llama2.c export: %s = %v, stories260K.gguf has %v", kv.Key, v, kv.Value)
		}
	}
	if n := len(llama.TokenizerKVs(b)); n != len(llama.TokenizerKVs(a)) {
		t.Errorf("llama2.c export has %d tokenizer keys, stories260K.gguf %d", n, len(llama.TokenizerKVs(a)))
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "f32.gguf hf hf16.gguf l2c.gguf q8.gguf" {
		t.Errorf("folder holds %v", names)
	}
}

// TestExportKQuantTypes: --type q4_k and q6_k are accepted and write
// general.file_type 15 / 18 (LLAMA_FTYPE_MOSTLY_Q4_K_M / Q6_K); every
// stories260K matrix is 64 or 172 columns wide, not a whole 256-value
// super-block, so all stay F32 and the model keeps llama.cpp's greedy ids.
// (bench-110m's k-quant files, whose matrices are all Q4_K / Q6_K, are
// compared with llama.cpp by tools/benchvs; docs/BENCHMARKS.md.)
func TestExportKQuantTypes(t *testing.T) {
	ref := loadGreedyRef(t)
	src := shared.Path(t, "models/stories260K.gguf")
	dir := t.TempDir()
	for typ, ft := range map[string]uint64{"q4_k": 15, "q6_k": 18} {
		out := filepath.Join(dir, typ+".gguf")
		if _, err := runCLI(t, "", "export", "--from", src, "--type", typ, "--out", out); err != nil {
			t.Fatalf("export --type %s: %v", typ, err)
		}
		f, err := gguf.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := f.Value("general.file_type"); !ok || v.String() != fmt.Sprint(ft) {
			t.Errorf("%s: general.file_type %v, want %d", typ, v, ft)
		}
		for _, ti := range f.Tensors {
			if ti.Type != gguf.TypeF32 {
				t.Errorf("%s: %s is %v, want F32 (no whole super-blocks)", typ, ti.Name, ti.Type)
			}
		}
		f.Close()
		r := runResultOf(t, "--model", out, "--prompt", ref.Greedy.Prompt, "--max-tokens", "64")
		p, ids := r.PromptIDs, r.IDs
		if !slices.Equal(p, ref.Greedy.PromptTokens) || !slices.Equal(ids, ref.Greedy.GeneratedTokens) {
			t.Errorf("%s: prompt %v ids %v, llama.cpp %v %v", typ, p, ids, ref.Greedy.PromptTokens, ref.Greedy.GeneratedTokens)
		}
	}
}

// TestExportBPEVocab: the byte-level BPE of model/llama's export fixture,
// converted by BPETokenizerKVs, tokenizes the fixture's prompt as llama.cpp
// did on the exported file and as the tokenizer.json itself does.
func TestExportBPEVocab(t *testing.T) {
	const tj = "../../model/llama/testdata/export_bpe512_tokenizer.json"
	b, err := os.ReadFile(tj)
	if err != nil {
		t.Fatal(err)
	}
	kvs, err := llama.BPETokenizerKVs(b)
	if err != nil {
		t.Fatal(err)
	}
	v, err := llamavocab.Load(&gguf.File{KV: kvs})
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Name         string `json:"name"`
			Prompt       string `json:"prompt"`
			PromptTokens []int  `json:"promptTokens"`
		} `json:"cases"`
	}
	rb, err := os.ReadFile("../../model/llama/testdata/export_llamacpp.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rb, &ref); err != nil {
		t.Fatal(err)
	}
	htok, err := hf.Load(tj)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range ref.Cases {
		if !strings.HasPrefix(c.Name, "bpe512") {
			continue
		}
		n++
		got, err := v.Encode(c.Prompt, tokenizer.EncodeOptions{AddSpecial: true})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := htok.Encode(c.Prompt, tokenizer.EncodeOptions{})
		if !slices.Equal(got, c.PromptTokens) || !slices.Equal(want, c.PromptTokens) {
			t.Errorf("%s: llamavocab %v, tokenizer.json %v, llama.cpp %v", c.Name, got, want, c.PromptTokens)
		}
	}
	if n == 0 {
		t.Fatal("no bpe512 case in export_llamacpp.json")
	}
}

func TestExportErrors(t *testing.T) {
	src := shared.Path(t, "models/stories260K.gguf")
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.Mkdir(junk, 0o755)
	os.WriteFile(filepath.Join(junk, "notes.txt"), []byte("mine"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"type", []string{"--from", src, "--out", filepath.Join(dir, "x.gguf"), "--type", "q3"}, "--type"},
		{"to", []string{"--from", src, "--out", filepath.Join(dir, "x"), "--to", "onnx"}, "--to"},
		{"no out", []string{"--from", src}, "required"},
		{"llama2c without tokenizer", []string{"--from", shared.Path(t, "models/stories260K.bin"), "--out", filepath.Join(dir, "x.gguf")}, "needs --tokenizer"},
		{"vocab size", []string{"--from", shared.Path(t, "models/llama-2-tiny-random.gguf"), "--tokenizer", src, "--out", filepath.Join(dir, "x.gguf")}, "512 tokens"},
		{"safetensors q8_0", []string{"--from", src, "--to", "safetensors", "--type", "q8_0", "--out", filepath.Join(dir, "hf")}, "not supported"},
		{"foreign folder", []string{"--from", src, "--to", "safetensors", "--out", junk}, "does not hold a model"},
		{"missing", []string{"--from", filepath.Join(dir, "nope.gguf"), "--out", filepath.Join(dir, "x.gguf")}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCLI(t, "", append([]string{"export"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("folder holds %d entries after failed exports (want only junk/)", len(ents))
	}
}
