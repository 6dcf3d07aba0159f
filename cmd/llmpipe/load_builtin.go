package main

import (
	"errors"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// loadBuiltin is wired when the built-in tokenizer lands.
func loadBuiltin() (tokenizer.Tokenizer, error) {
	return nil, errors.New("the built-in tokenizer is not available yet")
}
