package tiktoken

import "github.com/llmpipe/llmpipe/tokenizer"

var _ tokenizer.TokenByter = (*Encoding)(nil)

// TokenBytes implements [tokenizer.TokenByter]: a rank's bytes as stored in
// the rank file. Special tokens and unused ids return nil. The caller must
// not modify the slice.
func (e *Encoding) TokenBytes(id int) []byte {
	b, ok := e.ranks.Token(id)
	if !ok {
		return nil
	}
	return b
}
