package main

import (
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/hf"
)

// loadHF loads a Hugging Face tokenizer.json file.
func loadHF(spec string) (tokenizer.Tokenizer, error) {
	return hf.Load(spec)
}
