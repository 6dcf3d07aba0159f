package main

import (
	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// loadGGUF builds the tokenizer embedded in a GGUF file's metadata, as
// llama.cpp does.
func loadGGUF(spec string) (tokenizer.Tokenizer, error) {
	f, err := gguf.Open(spec)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tok, err := llamavocab.FromGGUF(f)
	if err != nil {
		return nil, err
	}
	return tok, nil
}
