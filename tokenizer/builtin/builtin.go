package builtin

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/hf"
)

//go:generate go run gen.go -out tokenizer.json -provenance testdata/PROVENANCE.md

// VocabSize is the built-in tokenizer's vocabulary size, special tokens
// included.
const VocabSize = 4096

// EndOfText is the id of "<|endoftext|>", the document separator and only
// special token (the last id).
const EndOfText = VocabSize - 1

//go:embed tokenizer.json
var tokenizerJSON []byte

var load struct {
	once sync.Once
	tok  *hf.Tokenizer
	err  error
}

// Tokenizer returns the built-in tokenizer. The embedded file is parsed on
// the first call only; every call returns the same tokenizer, which is safe
// for concurrent use.
func Tokenizer() (tokenizer.Tokenizer, error) {
	load.once.Do(func() {
		load.tok, load.err = hf.Parse(tokenizerJSON)
		if load.err != nil {
			load.err = fmt.Errorf("builtin: embedded tokenizer.json: %w", load.err)
		}
	})
	if load.err != nil {
		return nil, load.err
	}
	return load.tok, nil
}

// JSON returns a copy of the embedded tokenizer.json, to write it out for
// other tools (HF tokenizers, transformers.js).
func JSON() []byte { return append([]byte(nil), tokenizerJSON...) }
