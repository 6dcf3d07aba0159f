package llamavocab

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// nfdFirst maps r to the first code point of its canonical decomposition, the
// one-to-one table llama.cpp's unicode_cpts_normalize_nfd uses ("é" → "e",
// "한" → "ᄒ").
func nfdFirst(r rune) rune {
	if r < 0xC0 {
		return r
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFD.Bytes(buf[:n])
	f, _ := utf8.DecodeRune(d)
	return f
}

// isChineseChar is llama.cpp's (and BERT's) CJK range test.
func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}

// isControlCat reports llama.cpp's CONTROL flag: general category Cc, Cf,
// Co or Cs. (Go's unicode.C also holds the unassigned code points, which
// llama.cpp flags UNDEFINED and keeps in words.)
func isControlCat(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// wpmWords is llm_tokenizer_wpm_session::preprocess: split on whitespace,
// drop NUL, U+FFFD and control/format characters (and accent marks when
// stripping accents), lowercase, and make every punctuation character, ASCII
// symbol and CJK character a word of its own.
func (v *Vocab) wpmWords(text string) []string {
	var words []string
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for _, r := range text {
		if v.stripAccents {
			r = nfdFirst(r)
		}
		if unicode.Is(unicode.White_Space, r) {
			flush()
			continue
		}
		if r == 0 || r == utf8.RuneError || isControlCat(r) {
			continue
		}
		if v.stripAccents && unicode.Is(unicode.M, r) {
			continue
		}
		lr := r
		if v.lowercase {
			lr = unicode.ToLower(r)
		}
		if unicode.IsPunct(r) || (r < 0x7F && unicode.IsSymbol(r)) || isChineseChar(r) {
			flush()
			words = append(words, string(lr))
			continue
		}
		cur = utf8.AppendRune(cur, lr)
	}
	flush()
	return words
}

// wpmTokenize appends the greedy longest-match ids of every word, each word
// prefixed with "▁"; a word with an unmatched position becomes UNK.
func (v *Vocab) wpmTokenize(text string, out []int) []int {
	for _, w := range v.wpmWords(text) {
		word := escapedSpace + w
		n := len(word)
		start := len(out)
		for i := 0; i < n; i++ {
			matched := false
			for j := min(n, i+v.maxTokenLen+1); j > i; j-- {
				if id, ok := v.toID[word[i:j]]; ok {
					out = append(out, id)
					matched = true
					i = j - 1
					break
				}
			}
			if !matched {
				out = out[:start]
				break
			}
		}
		if len(out) == start && v.unk != null {
			out = append(out, v.unk)
		}
	}
	return out
}
