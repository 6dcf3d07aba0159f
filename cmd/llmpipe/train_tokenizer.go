package main

import (
	"context"
	"errors"
	"io"
)

// trainTokenizer is wired when the BPE trainer lands.
func trainTokenizer(ctx context.Context, progress io.Writer, files []string, vocabSize int, out string) error {
	return errors.New("tokenizer training is not supported yet")
}
