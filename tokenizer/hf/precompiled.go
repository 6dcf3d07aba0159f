package hf

import (
	"encoding/base64"

	"github.com/llmpipe/llmpipe/tokenizer/charsmap"
)

// newPrecompiled builds the Precompiled normalizer from a base64
// precompiled_charsmap (SentencePiece's normalization rules), normalizing
// with HF's Precompiled semantics (package tokenizer/charsmap). An empty
// charsmap normalizes nothing, as in HF.
func newPrecompiled(b64 string, path string) (normalizer, error) {
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errAt(path, "bad base64: %v", err)
	}
	if len(blob) == 0 {
		return normSeq(nil), nil
	}
	m, err := charsmap.Parse(blob)
	if err != nil {
		return nil, errAt(path, "%v", err)
	}
	return precompiledNorm{f: m.Normalize, m: m}, nil
}
