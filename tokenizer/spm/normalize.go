package spm

import "unicode/utf8"

// spaceSymbol is U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space.
const spaceSymbol = "\u2581"

// decodeRune decodes the first UTF-8 character of p; r is -1 when p starts
// with an invalid byte (size 1), as SentencePiece's IsValidDecodeUTF8.
func decodeRune(p []byte) (r rune, size int) {
	r, size = utf8.DecodeRune(p)
	if r == utf8.RuneError && size == 1 {
		return -1, 1
	}
	return r, size
}

// normalizePrefix is SentencePiece's Normalizer::NormalizePrefix: the
// normalized form of the start of s and how many bytes of s it stands for.
// User-defined pieces pass unchanged; an invalid byte becomes U+FFFD.
func (t *Tokenizer) normalizePrefix(s string) (string, int) {
	if c := s[0]; c < utf8.RuneSelf && t.user == nil && t.cmap == nil {
		return s[:1], 1
	}
	if n := t.user.match(s); n > 0 {
		return s[:n], n
	}
	if t.cmap != nil {
		out, n, _ := t.cmap.NormalizePrefix(s)
		return out, n
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 {
		return "\uFFFD", 1
	}
	return s[:size], size
}

// normalize appends the normalized text to dst, as Normalizer::Normalize:
// extra whitespace removed, the dummy prefix added and spaces escaped to ▁,
// as the options say.
func (t *Tokenizer) normalize(dst []byte, text string) []byte {
	if text == "" {
		return dst
	}
	o := &t.opts
	if o.RemoveExtraWhitespaces {
		for text != "" {
			sp, n := t.normalizePrefix(text)
			if sp != " " {
				break
			}
			text = text[n:]
		}
		if text == "" {
			return dst
		}
	}
	start := len(dst)
	if o.AddDummyPrefix {
		dst = t.appendSpace(dst)
	}
	isPrevSpace := o.RemoveExtraWhitespaces
	for text != "" {
		var sp string
		var n int
		if c := text[0]; c < utf8.RuneSelf && t.user == nil && t.cmap == nil {
			sp, n = text[:1], 1
		} else {
			sp, n = t.normalizePrefix(text)
		}
		for isPrevSpace && sp != "" && sp[0] == ' ' {
			sp = sp[1:]
		}
		if sp != "" {
			for i := 0; i < len(sp); i++ {
				if sp[i] == ' ' {
					dst = t.appendSpace(dst)
				} else {
					dst = append(dst, sp[i])
				}
			}
			isPrevSpace = sp[len(sp)-1] == ' '
		}
		text = text[n:]
		if !o.RemoveExtraWhitespaces {
			isPrevSpace = false
		}
	}
	if o.RemoveExtraWhitespaces {
		space := " "
		if o.EscapeWhitespaces {
			space = spaceSymbol
		}
		for len(dst)-start >= len(space) && string(dst[len(dst)-len(space):]) == space {
			dst = dst[:len(dst)-len(space)]
		}
	}
	return dst
}

func (t *Tokenizer) appendSpace(dst []byte) []byte {
	if t.opts.EscapeWhitespaces {
		return append(dst, spaceSymbol...)
	}
	return append(dst, ' ')
}

// appendUnescaped appends s with every ▁ replaced by a space.
func appendUnescaped(dst []byte, s string) []byte {
	for {
		i := indexSpace(s)
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, ' ')
		s = s[i+len(spaceSymbol):]
	}
}

func indexSpace(s string) int {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == 0xE2 && s[i+1] == 0x96 && s[i+2] == 0x81 {
			return i
		}
	}
	return -1
}
