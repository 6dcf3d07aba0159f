package main

import (
	"errors"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// loadTiktokenName is wired when the tiktoken loader lands.
func loadTiktokenName(spec string) (tokenizer.Tokenizer, error) {
	return nil, errors.New("tiktoken tokenizers are not supported yet: " + spec)
}

// loadTiktokenFile is wired when the tiktoken loader lands.
func loadTiktokenFile(spec string) (tokenizer.Tokenizer, error) {
	return nil, errors.New("tiktoken tokenizers are not supported yet: " + spec)
}
