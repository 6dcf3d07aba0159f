package main

import (
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/spm"
)

// loadSPM loads a SentencePiece tokenizer.model file.
func loadSPM(spec string) (tokenizer.Tokenizer, error) {
	t, err := spm.Load(spec)
	if err != nil {
		return nil, err
	}
	return t, nil
}
