package llamavocab

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// hexByte parses the "XX" of "<0xXX>" like strtol(text.substr(3, 2), 16).
func hexByte(t string) byte {
	if len(t) <= 3 {
		return 0
	}
	var b byte
	for i := 3; i < len(t) && i < 5; i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			b = b<<4 | (c - '0')
		case c >= 'a' && c <= 'f':
			b = b<<4 | (c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			b = b<<4 | (c - 'A' + 10)
		default:
			return b
		}
	}
	return b
}

// decodeByteLevel is llama_decode_text: byte-level runes back to bytes,
// anything outside the alphabet marked as llama.cpp marks it.
func decodeByteLevel(t string) string {
	var sb strings.Builder
	for _, r := range t {
		if b, ok := tokenizer.RuneToByte(r); ok {
			sb.WriteByte(b)
			continue
		}
		sb.WriteString("[UNK_BYTE_0x")
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			fmt.Fprintf(&sb, "%02x", c)
		}
		sb.WriteString(t)
		sb.WriteString("]")
	}
	return sb.String()
}

// buildPieces fills v.piece with token_to_piece(id, special=true).
func (v *Vocab) buildPieces() {
	v.piece = make([]string, len(v.text))
	for id, t := range v.text {
		a := v.attr[id]
		switch {
		case a&(attrUnknown|attrControl|attrUserDefined) != 0:
			v.piece[id] = t
		case a&attrNormal != 0:
			if v.kind == BPE && !v.escapeWhitespaces {
				v.piece[id] = decodeByteLevel(t)
			} else {
				v.piece[id] = strings.ReplaceAll(t, escapedSpace, " ")
			}
		case a&attrByte != 0:
			if v.kind == WPM {
				continue // llama.cpp aborts on WPM byte tokens; decode them as nothing
			}
			v.piece[id] = string([]byte{hexByte(t)})
		}
	}
}

// Decode implements tokenizer.Tokenizer as llama_detokenize: with
// SkipSpecial it removes a leading BOS / trailing EOS that the vocabulary
// adds and drops control and unknown tokens (remove_special=true,
// unparse_special=false); without, every token is rendered.
func (v *Vocab) Decode(ids []int, opts tokenizer.DecodeOptions) (string, error) {
	for i, id := range ids {
		if id < 0 || id >= len(v.text) {
			return "", tokenizer.UnknownIDError(id, i, len(v.text))
		}
	}
	removeSpace := v.addSpacePrefix
	if opts.SkipSpecial && v.addBOS && len(ids) > 0 && ids[0] == v.bos {
		removeSpace = false
		ids = ids[1:]
	}
	if opts.SkipSpecial && v.addEOS && len(ids) > 0 && ids[len(ids)-1] == v.eos {
		ids = ids[:len(ids)-1]
	}
	var b []byte
	for _, id := range ids {
		if opts.SkipSpecial && v.attr[id]&(attrUnknown|attrControl) != 0 {
			removeSpace = false
			continue
		}
		p := v.piece[id]
		if removeSpace && len(p) > 0 && p[0] == ' ' {
			p = p[1:]
		}
		removeSpace = false
		b = append(b, p...)
	}
	if v.cleanSpaces {
		b = cleanSpaces(b)
	}
	return tokenizer.ValidUTF8(b), nil
}

// RevisesText implements [tokenizer.Reviser]: with clean-up of spaces on
// (BERT and GPT-2-style vocabularies), a later id can rewrite earlier text
// ("i ' m" becomes "i'm" when the "m" arrives).
func (v *Vocab) RevisesText() bool { return v.cleanSpaces }

// cleanSpaces is llama_detokenize's clean_up_tokenization_spaces, three
// in-place passes ported as written (including how each pass reads bytes the
// previous iterations already moved).
func cleanSpaces(text []byte) []byte {
	total := len(text)
	// First pass: " ?", " !", " .", " ,".
	t1 := total
	total = min(total, 1)
	for i := 1; i < t1; i++ {
		x := text[i]
		if text[i-1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',') {
			total--
		}
		text[total] = x
		total++
	}
	// Second pass: a single apostrophe between spaces.
	t2 := total
	total = min(total, 1)
	for i := 1; i < t2; i++ {
		x := text[i]
		if x == '\'' && i+1 < t2 && text[i-1] == ' ' && text[i+1] == ' ' {
			total--
			i++
			text[i] = 0
		}
		text[total] = x
		total++
	}
	// Third pass: " 's", " 'm", " 're", " 've".
	t3 := total
	total = min(total, 1)
	for i := 1; i < t3; i++ {
		x := text[i]
		if text[i-1] == ' ' && x == '\'' && i+1 < t3 {
			x1 := text[i+1]
			if x1 == 's' || x1 == 'm' {
				total--
			} else if x1 != 't' && x1 != 'd' && i+2 < t3 {
				x2 := text[i+2]
				if (x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e') {
					total--
				}
			}
		}
		text[total] = x
		total++
	}
	return text[:total]
}
