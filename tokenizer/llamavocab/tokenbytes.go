package llamavocab

import "github.com/llmpipe/llmpipe/tokenizer"

var _ tokenizer.TokenByter = (*Vocab)(nil)

// TokenBytes implements [tokenizer.TokenByter]: the bytes id adds to text in
// the middle of a sequence, as llama.cpp's token_to_piece renders it. SPM
// pieces have ▁ turned into a space and <0xHH> into the byte HH; gpt2
// byte-level pieces are mapped back to raw bytes; user-defined tokens are
// their text. Control, unknown and unused tokens (and ids outside the
// vocabulary) return nil.
func (v *Vocab) TokenBytes(id int) []byte {
	if id < 0 || id >= len(v.text) {
		return nil
	}
	a := v.attr[id]
	if a&(attrControl|attrUnknown|attrUnused) != 0 {
		return nil
	}
	t := v.text[id]
	switch {
	case a&attrUserDefined != 0:
		return []byte(t)
	case a&attrByte != 0:
		if v.kind == WPM {
			return nil
		}
		return []byte{hexByte(t)}
	case a&attrNormal != 0:
		if v.kind == BPE && !v.escapeWhitespaces {
			if b, ok := tokenizer.ByteLevelToBytes(t); ok {
				return b
			}
			return []byte(v.piece[id])
		}
		return []byte(v.piece[id])
	}
	return nil
}
