package main

import (
	"errors"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// loadHF is wired when the hf loader lands.
func loadHF(spec string) (tokenizer.Tokenizer, error) {
	return nil, errors.New("hf tokenizers are not supported yet: " + spec)
}
