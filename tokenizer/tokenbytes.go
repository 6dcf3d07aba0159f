package tokenizer

import "fmt"

// TokenByter is implemented by tokenizers that can tell the exact bytes one
// id adds to decoded text in the middle of a sequence (no first-token space
// stripping, no UTF-8 repair: a byte-fallback token is its single raw byte).
// Constrained decoding (package grammar) matches these bytes against a
// grammar. Control tokens (BOS, EOS, <|im_start|>…) return nil: they are not
// text.
type TokenByter interface {
	// TokenBytes returns the bytes of id, or nil for a control token or an
	// id outside the vocabulary. The caller must not modify the slice.
	TokenBytes(id int) []byte
}

// VocabBytes returns TokenBytes for every id in [0, tok.VocabSize()). It is
// an error when tok does not implement [TokenByter].
func VocabBytes(tok Tokenizer) ([][]byte, error) {
	tb, ok := tok.(TokenByter)
	if !ok {
		return nil, fmt.Errorf("tokenizer: %T does not implement TokenByter (the bytes of each token)", tok)
	}
	n := tok.VocabSize()
	out := make([][]byte, n)
	for id := range n {
		out[id] = tb.TokenBytes(id)
	}
	return out, nil
}
