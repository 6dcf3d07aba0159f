package builtin

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// Name is the built-in model's name: its file name without the extension,
// and the model id `llmpipe serve` reports for it.
const Name = "llmpipe-stories-1m"

// SHA256 is the hex sha256 of the embedded GGUF file (also recorded in
// docs/MODEL_CARD.md); a test holds the file to it.
const SHA256 = "ce31f144a6462851e656f2cda968c1d3749d082cb692f1438416279355af83d5"

//go:embed llmpipe-stories-1m.gguf
var ggufFile []byte

// GGUF returns a copy of the embedded GGUF file, to write it out for other
// tools (llama.cpp loads it).
func GGUF() []byte { return append([]byte(nil), ggufFile...) }

// Load returns the built-in model and its tokenizer, read from the embedded
// GGUF file as any GGUF model is. Every call returns a new model (callers
// may change its configuration, such as the context length); the weights
// are copied out of the embedded file, which needs no closing.
func Load() (model.Model, tokenizer.Tokenizer, error) {
	f, err := gguf.Read(bytes.NewReader(ggufFile), int64(len(ggufFile)))
	if err != nil {
		return nil, nil, fmt.Errorf("builtin model %s: %w", Name, err)
	}
	m, err := model.NewRegistry(llama.Archs...).Load(f)
	if err != nil {
		return nil, nil, fmt.Errorf("builtin model %s: %w", Name, err)
	}
	tok, err := llamavocab.FromGGUF(f)
	if err != nil {
		return nil, nil, fmt.Errorf("builtin model %s: tokenizer: %w", Name, err)
	}
	return m, tok, nil
}
