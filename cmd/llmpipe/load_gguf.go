package main

import (
	"errors"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// loadGGUF is wired when the gguf loader lands.
func loadGGUF(spec string) (tokenizer.Tokenizer, error) {
	return nil, errors.New("gguf tokenizers are not supported yet: " + spec)
}
