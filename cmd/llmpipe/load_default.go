package main

import (
	"errors"

	"github.com/llmpipe/llmpipe/model"
	modelbuiltin "github.com/llmpipe/llmpipe/model/builtin"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// loadModelOrDefault loads --model PATH (with --tokenizer tokPath) as
// loadRunModel does or, when modelPath is empty, the built-in model
// (model/builtin), the default of run, chat and serve. The built-in model
// carries its own tokenizer, so --tokenizer without --model is an error.
func loadModelOrDefault(modelPath, tokPath string) (m model.Model, tok tokenizer.Tokenizer, closeModel func(), err error) {
	if modelPath != "" {
		return loadRunModel(modelPath, tokPath)
	}
	if tokPath != "" {
		return nil, nil, nil, errors.New("--tokenizer needs --model: the built-in model has its own tokenizer")
	}
	m, tok, err = modelbuiltin.Load()
	if err != nil {
		return nil, nil, nil, err
	}
	return m, tok, func() {}, nil
}

// builtinModelID is the model id serve reports for the built-in model.
const builtinModelID = modelbuiltin.Name
