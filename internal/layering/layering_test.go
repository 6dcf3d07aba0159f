// Package layering holds the test that keeps imports pointing down the
// pipeline, as docs/ARCHITECTURE.md's import table says.
package layering

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/llmpipe/llmpipe"

// allowed lists, for each package (relative to the module), the project
// packages it may import directly. A key ending in "/..." covers a subtree.
// Keep it in step with docs/ARCHITECTURE.md.
var allowed = map[string][]string{
	"internal/shared":      {},
	"internal/layering":    {},
	"tokenizer":            {},
	"tokenizer/bpe":        {},
	"tokenizer/pretok":     {},
	"tokenizer/charsmap":   {},
	"tokenizer/unigram":    {"tokenizer"},
	"tokenizer/wordpiece":  {"tokenizer"},
	"tokenizer/tiktoken":   {"tokenizer", "tokenizer/pretok"},
	"tokenizer/spm":        {"tokenizer", "tokenizer/bpe", "tokenizer/unigram", "tokenizer/charsmap"},
	"tokenizer/hf":         {"tokenizer", "tokenizer/bpe", "tokenizer/pretok", "tokenizer/unigram", "tokenizer/wordpiece", "tokenizer/charsmap"},
	"tokenizer/bpetrain":   {"tokenizer", "tokenizer/pretok", "tokenizer/hf"},
	"tokenizer/llamavocab": {"tokenizer", "tokenizer/bpe", "tokenizer/pretok", "tokenizer/spm", "tokenizer/unigram", "tokenizer/wordpiece", "format/gguf"},
	"tokenizer/builtin":    {"tokenizer", "tokenizer/hf"},
	"format/gguf":          {"internal/mmap"},
	"quant":                {"tensor"},
	"quant/ggufcheck":      {"quant", "format/gguf"},
	"chat":                 {"chat/jinja"},
	"chat/jinja":           {},
	"tensor":               {},
	"kernels":              {"quant", "tensor"},
	"autograd":             {"kernels", "tensor"},
	"optim":                {"autograd"},
	"train":                {"autograd", "optim", "kernels", "quant", "tokenizer", "model", "model/llama", "data", "checkpoint", "format/gguf"}, // format/gguf: tests only (export round trip)
	"align":                {"autograd", "optim", "kernels", "tokenizer", "sample", "train", "checkpoint", "chat"},
	"model":                {"format/gguf"},
	"format/llama2c":       {"tokenizer", "tokenizer/spm"},
	"format/safetensors":   {"internal/mmap"},
	"internal/mmap":        {},
	"model/llama":          {"model", "kernels", "quant", "tensor", "format/gguf", "format/llama2c", "format/safetensors"},
	"model/builtin":        {"model", "model/llama", "format/gguf", "tokenizer", "tokenizer/llamavocab"},
	"sample":               {"kernels"},
	"generate":             {"model", "tokenizer", "sample"},
	"grammar":              {"tokenizer"},
	"grammar/grammarcheck": {"grammar", "tokenizer", "tokenizer/llamavocab", "tokenizer/hf", "format/gguf", "model", "model/llama"},
	"hub":                  {},
	"server/web":           {}, // the embedded chat page: standard library only
	"data":                 {"tokenizer", "internal/mmap"},
	"checkpoint":           {"format/safetensors"},
	"server":               {"model", "tokenizer", "sample", "chat", "generate"},
	"cmd/llmpipe":          {"..."},
	"bench":                {"..."},
	"tools/benchvs":        {"format/gguf"}, // developer tool (side-by-side benchmark with llama.cpp), imported by nothing
}

// testOnly lists project packages any package may import from its tests.
var testOnly = []string{"internal/shared"}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		allow, ok := allowed[rel]
		if !ok {
			t.Errorf("package %s is not in the import table (internal/layering and docs/ARCHITECTURE.md)", rel)
			continue
		}
		check := func(imports []string, extra []string) {
			for _, imp := range imports {
				if !strings.HasPrefix(imp, module+"/") && imp != module {
					continue
				}
				dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
				if dep == rel || permitted(dep, allow) || permitted(dep, extra) {
					continue
				}
				t.Errorf("%s imports %s, which the import table does not allow", rel, dep)
			}
		}
		check(p.Imports, nil)
		check(append(p.TestImports, p.XTestImports...), append(append([]string{rel}, testOnly...), allow...))
	}
}

func permitted(dep string, allow []string) bool {
	for _, a := range allow {
		if a == "..." || a == dep {
			return true
		}
		if base, ok := strings.CutSuffix(a, "/..."); ok && (dep == base || strings.HasPrefix(dep, base+"/")) {
			return true
		}
	}
	return false
}
