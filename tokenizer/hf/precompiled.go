package hf

// newPrecompiled builds the Precompiled normalizer (a SentencePiece
// precompiled_charsmap, base64). Package tokenizer/charsmap is not in the tree
// yet, so the normalizer is reported as unsupported.
func newPrecompiled(b64 string, path string) (normalizer, error) {
	return nil, errAt(path, "Precompiled normalizer is not yet supported (needs package tokenizer/charsmap)")
}
