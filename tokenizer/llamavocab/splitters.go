package llamavocab

import (
	"unicode"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// Pre-tokenizer regexes that llama.cpp's unicode_regex_split does not run as
// regexes, or whose std::regex behaviour a findall-style Splitter does not
// give. splitterFor returns the Splitter llama.cpp's behaviour needs, or nil
// when pretok.Compile's regex is right.
const (
	// tiny_aya's digit grouping: llama.cpp replaces the regex with its
	// hand-written AFMoE digit splitter.
	reTinyAyaDigits = `\d{1,3}(?=(?:\d{3})*\b)`
	// afmoe's placeholder for the same splitter.
	reAFMoEDigits = `\p{AFMoE_digits}`
	// superbpe's second regex: only zero-length matches, which std::regex
	// reports (as empty words), so the text is cut at each of them.
	reSuperBPEGroups = `(?=(\d{3})+(?!\d))`
)

// afmoePre is llama.cpp's regex list for tokenizer.ggml.pre "afmoe"
// (pretok.LlamaCppPre does not carry it, as it needs afmoeDigits).
var afmoePre = []string{
	reAFMoEDigits,
	"[一-鿿㐀-䶿豈-﫿぀-ゟ゠-ヿ･-ﾟ⼀-⿟เ-๿຀-໿ក-៿က-႟ꩠ-ꩿꧠ-꧿가-힯ᄀ-ᇿ]+",
	"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
}

// youtuPre is llama.cpp's regex list for tokenizer.ggml.pre "youtu" (not in
// pretok.LlamaCppPre).
var youtuPre = []string{
	"[가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+",
	"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
}

// localPre holds the pre-tokenizer types whose regex lists are kept here.
var localPre = map[string][]string{"afmoe": afmoePre, "youtu": youtuPre, "kimi-k2": {reKimiK2}}

func splitterFor(pattern string) pretok.Splitter {
	switch pattern {
	case reTinyAyaDigits, reAFMoEDigits:
		return afmoeDigits{}
	case reSuperBPEGroups:
		return superBPEGroups{}
	case reKimiK2:
		return kimiK2{}
	}
	return nil
}

// afmoeDigits is unicode_regex_split_custom_afmoe: every run of numbers
// (\p{N}) is cut into groups of three from the right; the text before a run
// stays attached to the run's first group ("ab12345" → "ab12", "345"), and
// the text after the last run is one piece. The pieces tile the text.
type afmoeDigits struct{}

func (afmoeDigits) FindAll(dst []pretok.Span, text string) []pretok.Span {
	prev := 0
	add := func(end int) {
		if end > prev {
			dst = append(dst, pretok.Span{Start: prev, End: end})
		}
		prev = end
	}
	for pos := 0; pos < len(text); {
		r, n := utf8.DecodeRuneInString(text[pos:])
		if !unicode.IsNumber(r) {
			pos += n
			continue
		}
		// the run's rune boundaries
		var bounds []int
		for pos < len(text) {
			r, n := utf8.DecodeRuneInString(text[pos:])
			if !unicode.IsNumber(r) {
				break
			}
			bounds = append(bounds, pos)
			pos += n
		}
		bounds = append(bounds, pos)
		count := len(bounds) - 1
		cur := count % 3
		if cur > 0 {
			add(bounds[cur])
		}
		for ; cur < count; cur += 3 {
			add(bounds[cur+3])
		}
	}
	add(len(text))
	return dst
}

// superBPEGroups cuts text where std::regex finds an empty match of
// (?=(\d{3})+(?!\d)): before every position followed by a multiple of three
// ASCII digits that ends the text or is followed by a non-digit. The pieces
// tile the text.
type superBPEGroups struct{}

func (superBPEGroups) FindAll(dst []pretok.Span, text string) []pretok.Span {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	prev := 0
	// Scan runs of ASCII digits; inside a run of length L starting at s, the
	// cut positions are s+k with (L-k)%3 == 0 and k < L.
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		s := i
		for i < len(text) && isDigit(text[i]) {
			i++
		}
		l := i - s
		for k := l % 3; k < l; k += 3 {
			if p := s + k; p > prev {
				dst = append(dst, pretok.Span{Start: prev, End: p})
				prev = p
			}
		}
	}
	if prev < len(text) {
		dst = append(dst, pretok.Span{Start: prev, End: len(text)})
	}
	return dst
}

// unicode151 returns text with the code points that Unicode 15.1 assigned
// replaced by stand-ins of the same general category and UTF-8 length that
// Go's tables (Unicode 15.0) already classify: llama.cpp's unicode-data.cpp
// is Unicode 15.1, so its pre-tokenizer regexes see CJK Unified Ideographs
// Extension I (U+2EBF0..U+2EE5D, Lo) as letters, and U+2FFC..U+2FFF and
// U+31EF as symbols (So). The byte offsets are unchanged, so the spans found
// on the result apply to text. Text without such code points is returned as
// is.
func unicode151(text string) string {
	var b []byte
	for i := 0; i < len(text); {
		c := text[i]
		if c < 0xE2 {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		var sub rune
		switch {
		case r >= 0x2EBF0 && r <= 0x2EE5D:
			sub = 0x10000 // LINEAR B SYLLABLE B008 A: Lo, and not Han for kimi-k2
		case r >= 0x2FFC && r <= 0x2FFF, r == 0x31EF:
			sub = 0x2FF0 // IDEOGRAPHIC DESCRIPTION CHARACTER LEFT TO RIGHT, So
		}
		if sub != 0 {
			if b == nil {
				b = []byte(text)
			}
			utf8.EncodeRune(b[i:], sub)
		}
		i += n
	}
	if b == nil {
		return text
	}
	return string(b)
}

// reKimiK2 is kimi-k2's placeholder regex: llama.cpp splits with
// unicode_regex_split_custom_kimi_k2 instead.
const reKimiK2 = `\p{Han}+`

// isHan is llama.cpp's unicode_cpt_is_han.
func isHan(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) || (r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0x2CEB0 && r <= 0x2EBEF) || (r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// isLetter151 is llama.cpp's LETTER flag (Unicode 15.1).
func isLetter151(r rune) bool { return unicode.IsLetter(r) || (r >= 0x2EBF0 && r <= 0x2EE5D) }

// isSpaceLlama is llama.cpp's WHITESPACE flag (unicode_set_whitespace).
func isSpaceLlama(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r == ' ', r == 0x85, r == 0xA0, r == 0x1680, r >= 0x2000 && r <= 0x200A,
		r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

// kimiK2 is unicode_regex_split_custom_kimi_k2, ported as written: Han runs,
// letter words (LETTER only, no marks, Han excluded) with an optional
// leading character and contraction, numbers in threes, punctuation runs
// with trailing newlines, then the whitespace rules of the Llama 3 regex.
type kimiK2 struct{}

func (kimiK2) FindAll(dst []pretok.Span, text string) []pretok.Span {
	var cpts []rune
	var offs []int
	for i, r := range text {
		cpts = append(cpts, r)
		offs = append(offs, i)
	}
	n := len(cpts)
	offs = append(offs, len(text))
	const outOfRange = -1
	cpt := func(p int) rune {
		if p >= 0 && p < n {
			return cpts[p]
		}
		return outOfRange
	}
	in := func(p int) bool { return p >= 0 && p < n }
	letter := func(p int) bool { return in(p) && isLetter151(cpts[p]) }
	number := func(p int) bool { return in(p) && unicode.IsNumber(cpts[p]) }
	space := func(p int) bool { return in(p) && isSpaceLlama(cpts[p]) }
	prev := 0
	add := func(end int) {
		if end > prev {
			dst = append(dst, pretok.Span{Start: offs[prev], End: offs[end]})
		}
		prev = end
	}
	for pos := 0; pos < n; {
		c := cpt(pos)
		if isHan(c) {
			for isHan(cpt(pos)) {
				pos++
			}
			add(pos)
			continue
		}
		lead := !(c == '\r' || c == '\n' || letter(pos) || number(pos))
		if (letter(pos) && !isHan(c)) || (lead && letter(pos+1) && !isHan(cpt(pos+1))) {
			hasLead := false
			if lead {
				hasLead = true
				pos++
			}
			hasLetters := false
			for letter(pos) && !isHan(cpt(pos)) {
				hasLetters = true
				pos++
			}
			if hasLetters || (!hasLead && letter(pos) && !isHan(cpt(pos))) {
				if !hasLetters {
					pos++
				}
				for letter(pos) && !isHan(cpt(pos)) {
					pos++
				}
				if cpt(pos) == '\'' && pos+1 < n {
					next := unicode.ToLower(cpt(pos + 1))
					if next == 's' || next == 't' || next == 'm' || next == 'd' {
						pos += 2
					} else if pos+2 < n {
						nn := unicode.ToLower(cpt(pos + 2))
						if (next == 'r' && nn == 'e') || (next == 'v' && nn == 'e') || (next == 'l' && nn == 'l') {
							pos += 3
						}
					}
				}
				add(pos)
				continue
			} else if hasLead {
				pos--
			}
		}
		if number(pos) {
			ini := pos
			for number(pos) {
				pos++
				if pos-ini >= 3 {
					add(pos)
					ini = pos
				}
			}
			add(pos)
			continue
		}
		p2 := pos
		if c == ' ' {
			p2 = pos + 1
		}
		word := func(p int) bool { return space(p) || letter(p) || number(p) }
		if in(p2) && !word(p2) {
			if c == ' ' {
				pos++
			}
			for in(pos) && !word(pos) {
				pos++
			}
			for c2 := cpt(pos); c2 == '\r' || c2 == '\n'; c2 = cpt(pos) {
				pos++
			}
			add(pos)
			continue
		}
		numWS, lastRN := 0, 0
		for space(pos + numWS) {
			if c2 := cpt(pos + numWS); c2 == '\r' || c2 == '\n' {
				lastRN = pos + numWS + 1
			}
			numWS++
		}
		if lastRN > 0 {
			pos = lastRN
			add(pos)
			continue
		}
		if numWS > 1 && cpt(pos+numWS) != outOfRange {
			pos += numWS - 1
			add(pos)
			continue
		}
		if numWS > 0 {
			pos += numWS
			add(pos)
			continue
		}
		pos++
		add(pos)
	}
	return dst
}
