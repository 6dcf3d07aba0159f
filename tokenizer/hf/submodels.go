package hf

import "encoding/json"

// parseWordPiece builds the WordPiece model. Package tokenizer/wordpiece has
// not landed yet, so the type is reported as unsupported.
func parseWordPiece(raw json.RawMessage, path string) (model, error) {
	return nil, errAt(path+".type", "model type \"WordPiece\" is not yet supported (needs package tokenizer/wordpiece)")
}

// parseUnigram builds the Unigram model. Package tokenizer/unigram has not
// landed yet, so the type is reported as unsupported.
func parseUnigram(raw json.RawMessage, path string) (model, error) {
	return nil, errAt(path+".type", "model type \"Unigram\" is not yet supported (needs package tokenizer/unigram)")
}
