package main

import (
	"errors"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// loadSPM is wired when the spm loader lands.
func loadSPM(spec string) (tokenizer.Tokenizer, error) {
	return nil, errors.New("spm tokenizers are not supported yet: " + spec)
}
