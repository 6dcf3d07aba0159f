package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

// isTrainCheckpoint reports whether path is an llmpipe train output folder
// (or its checkpoint.safetensors).
func isTrainCheckpoint(path string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	if st.IsDir() {
		return train.HasCheckpoint(path)
	}
	return filepath.Base(path) == train.CheckpointFile
}

// loadTrainedModel loads the model (Llama or GPT-2) saved by llmpipe train
// in dir (or its checkpoint.safetensors) as the runtime's model, with the
// tokenizer it was trained with, for llmpipe run.
func loadTrainedModel(path string) (model.Model, tokenizer.Tokenizer, func(), error) {
	dir := path
	if filepath.Base(path) == train.CheckpointFile {
		dir = filepath.Dir(path)
	}
	m, meta, err := train.LoadModel(nil, dir)
	if err != nil {
		return nil, nil, nil, err
	}
	lm, err := m.ToLlama()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	tok, err := corpusTokenizer(meta.Tokenizer, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	if tok.VocabSize() != lm.Config.VocabSize {
		return nil, nil, nil, fmt.Errorf("%s: tokenizer has %d ids, the model %d", dir, tok.VocabSize(), lm.Config.VocabSize)
	}
	return lm, tok, func() {}, nil
}
