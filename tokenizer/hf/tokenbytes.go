package hf

import (
	"strconv"
	"strings"

	"github.com/llmpipe/llmpipe/tokenizer"
)

var _ tokenizer.TokenByter = (*Tokenizer)(nil)

// TokenBytes implements [tokenizer.TokenByter]: the bytes id adds to decoded
// text in the middle of a sequence. The token string goes through the
// decoder chain as a token that is neither first nor last: ByteLevel maps it
// back to raw bytes, ByteFallback turns <0xHH> into the byte HH (no UTF-8
// repair), Metaspace and Replace turn ▁ into a space, WordPiece adds the
// space before a word that does not start with its continuation prefix, and
// Strip acts per token only before a Fuse (after it, it trims the ends of the
// whole text, which a middle token never touches). Added tokens marked
// special, and ids outside the vocabulary, return nil.
func (t *Tokenizer) TokenBytes(id int) []byte {
	var s string
	if a, ok := t.addedByID[id]; ok {
		if a.Special {
			return nil
		}
		s = a.Content
	} else {
		var ok bool
		if s, ok = t.model.idToToken(id); !ok {
			return nil
		}
		if t.specialSet[s] {
			return nil
		}
	}
	if t.dec == nil {
		return []byte(" " + s)
	}
	b, _ := tokenBytesDec(t.dec, []byte(s), false)
	return b
}

// tokenBytesDec applies one decoder to a middle token; fused reports whether
// a Fuse step has joined the tokens (after which per-token steps such as
// Strip see the whole text).
func tokenBytesDec(d decoder, b []byte, fused bool) ([]byte, bool) {
	switch d := d.(type) {
	case decSeq:
		for _, x := range d {
			b, fused = tokenBytesDec(x, b, fused)
		}
	case byteLevelDec:
		if raw, ok := tokenizer.ByteLevelToBytes(string(b)); ok {
			b = raw
		}
		fused = true
	case metaspaceDec:
		b = []byte(strings.ReplaceAll(string(b), d.repl, " "))
	case wordPieceDec:
		s := string(b)
		if rest, ok := strings.CutPrefix(s, d.prefix); ok {
			s = rest
		} else {
			s = " " + s
		}
		b = []byte(s)
	case byteFallbackDec:
		if len(b) == 6 && string(b[:3]) == "<0x" && b[5] == '>' {
			if v, err := strconv.ParseUint(string(b[3:5]), 16, 8); err == nil {
				b = []byte{byte(v)}
			}
		}
	case fuseDec:
		fused = true
	case stripDec:
		if !fused {
			b = []byte(d.decodeChain([]string{string(b)})[0])
		}
	case replaceDec:
		b = []byte(d.r.normalize(string(b)))
	case bpeDec:
		if d.suffix != "" {
			b = []byte(strings.ReplaceAll(string(b), d.suffix, " "))
		}
	case ctcDec:
		s := string(b)
		if d.pad != "" {
			s = strings.ReplaceAll(s, d.pad, "")
		}
		if d.cleanup {
			s = cleanupText(s)
			if d.delim != "" {
				s = strings.ReplaceAll(s, d.delim, " ")
			}
		}
		b = []byte(s)
	}
	return b, fused
}
