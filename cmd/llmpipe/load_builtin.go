package main

import (
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/builtin"
)

// loadBuiltin returns llmpipe's own tokenizer (tokenizer/builtin), the
// default of --tokenizer.
func loadBuiltin() (tokenizer.Tokenizer, error) {
	return builtin.Tokenizer()
}
