package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// loadTokenizer resolves a --tokenizer argument: a tiktoken encoding name
// (cl100k_base), a .tiktoken file, a tokenizer.json file or a folder holding
// one, a SentencePiece tokenizer.model, or a GGUF file.
func loadTokenizer(spec string) (tokenizer.Tokenizer, error) {
	if spec == defaultTokenizer {
		return loadBuiltin()
	}
	st, err := os.Stat(spec)
	if err != nil {
		if !strings.ContainsAny(spec, `/\.`) {
			return loadTiktokenName(spec)
		}
		return nil, fmt.Errorf("tokenizer %q: %w", spec, err)
	}
	if st.IsDir() {
		p := filepath.Join(spec, "tokenizer.json")
		if _, err := os.Stat(p); err == nil {
			return loadHF(p)
		}
		p = filepath.Join(spec, "tokenizer.model")
		if _, err := os.Stat(p); err == nil {
			return loadSPM(p)
		}
		return nil, fmt.Errorf("tokenizer %q: folder holds neither tokenizer.json nor tokenizer.model", spec)
	}
	switch ext := strings.ToLower(filepath.Ext(spec)); ext {
	case ".tiktoken":
		return loadTiktokenFile(spec)
	case ".json":
		return loadHF(spec)
	case ".model":
		return loadSPM(spec)
	case ".gguf":
		return loadGGUF(spec)
	default:
		return nil, fmt.Errorf("tokenizer %q: unknown file type %q (want .tiktoken, .json, .model or .gguf)", spec, ext)
	}
}
