package pretok

import "unicode/utf8"

// Split patterns with hand-written scanners. Each constant is the exact string
// found in the named reference; [Known] matches them byte for byte.
const (
	// PatternGPT2 is GPT-2's split regex, also r50k_base, p50k_base and
	// p50k_edit in tiktoken 1.0.22 (npm, encoders/*.json) and in the original
	// GPT-2 encoder.py.
	PatternGPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	// PatternGPT2Tiktoken is the same split as written in tiktoken's
	// openai_public.py of 2024 ("equivalent, but executes faster").
	PatternGPT2Tiktoken = `'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	// PatternGPT2Possessive is the same split as written in current tiktoken
	// (possessive quantifiers, `\s++$`).
	PatternGPT2Possessive = `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`

	// PatternCL100K is cl100k_base's split regex as tiktoken 1.0.22 (npm,
	// encoders/cl100k_base.json) ships it; Llama 3's tokenizer.json uses the
	// same string ([PatternLlama3]).
	PatternCL100K = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// PatternCL100KPossessive is cl100k_base's split regex in current
	// tiktoken (openai_public.py). It is NOT equivalent to [PatternCL100K]:
	// its `\s++$` comes before `\s*[\r\n]`, so white space that ends the text
	// and holds a line break is one piece ("a\n  " → "a", "\n  "), where
	// PatternCL100K gives "a", "\n", "  ". Everything else splits the same.
	PatternCL100KPossessive = `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
	// PatternCL100KJS is cl100k_base's split regex as js-tiktoken 1.0.21
	// spells it (contractions expanded to ASCII case variants).
	PatternCL100KJS = `('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// PatternLlama3 is the Split pre-tokenizer of Llama 3's tokenizer.json
	// (the same string as [PatternCL100K]).
	PatternLlama3 = PatternCL100K
	// PatternQwen2 is the Split pre-tokenizer of Qwen2/Qwen3's tokenizer.json:
	// cl100k with single digits.
	PatternQwen2 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

	// PatternO200K is o200k_base's split regex (tiktoken 1.0.22 npm and
	// openai_public.py); GPT-4o's tokenizer.json has the same string.
	PatternO200K = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// PatternO200KJS is o200k_base's split regex as js-tiktoken 1.0.21
	// spells it (contractions expanded to ASCII case variants).
	PatternO200KJS = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

	// LlamaCppGPT2 is the GPT-2 regex as llama.cpp's llama-vocab.cpp writes
	// it: without the final `|\s+`, so a single white-space rune before a
	// non-space is not matched (llama.cpp keeps it as its own piece).
	LlamaCppGPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
	// LlamaCppLlama3 is llama.cpp's adaptation of [PatternLlama3] (ASCII case
	// classes instead of (?i:...)).
	LlamaCppLlama3 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// LlamaCppQwen2 is llama.cpp's adaptation of [PatternQwen2].
	LlamaCppQwen2 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

type scanKind uint8

const (
	kindGPT2 scanKind = iota
	kindCL100K
	kindO200K
)

// scanner is a hand-written matcher for one family of split patterns.
type scanner struct {
	kind scanKind
	// digits is the longest \p{N} run one match takes (0: unbounded).
	digits int
	// fold: contractions are case-insensitive; unicodeFold: and 's' also
	// matches U+017F (Unicode simple case folding, as (?i:...) does).
	fold, unicodeFold bool
	// endFirst: `\s++$` is tried before `\s*[\r\n]` (possessive cl100k).
	endFirst bool
	// lone: a single white-space rune before a non-space is not matched
	// (llama.cpp's GPT-2 regex has no final `|\s+`).
	lone bool
	// u classifies runes (set by init and KnownUnicode).
	u *ucd
}

func init() {
	for _, s := range knownScanners {
		s.u = ucdGo
	}
}

var knownOrder = []string{
	PatternGPT2, PatternGPT2Tiktoken, PatternGPT2Possessive,
	PatternCL100K, PatternCL100KPossessive, PatternCL100KJS, PatternQwen2,
	PatternO200K, PatternO200KJS,
	LlamaCppGPT2, LlamaCppLlama3, LlamaCppQwen2,
}

var knownScanners = map[string]*scanner{
	PatternGPT2:             {kind: kindGPT2},
	PatternGPT2Tiktoken:     {kind: kindGPT2},
	PatternGPT2Possessive:   {kind: kindGPT2},
	PatternCL100K:           {kind: kindCL100K, digits: 3, fold: true, unicodeFold: true},
	PatternCL100KPossessive: {kind: kindCL100K, digits: 3, fold: true, unicodeFold: true, endFirst: true},
	PatternCL100KJS:         {kind: kindCL100K, digits: 3, fold: true},
	PatternQwen2:            {kind: kindCL100K, digits: 1, fold: true, unicodeFold: true},
	PatternO200K:            {kind: kindO200K, digits: 3, fold: true, unicodeFold: true},
	PatternO200KJS:          {kind: kindO200K, digits: 3, fold: true},
	LlamaCppGPT2:            {kind: kindGPT2, lone: true},
	LlamaCppLlama3:          {kind: kindCL100K, digits: 3, fold: true},
	LlamaCppQwen2:           {kind: kindCL100K, digits: 1, fold: true},
}

// FindAll implements Splitter.
func (s *scanner) FindAll(dst []Span, text string) []Span {
	for i := 0; i < len(text); {
		var end int
		matched := true
		switch s.kind {
		case kindGPT2:
			end, matched = s.nextGPT2(text, i)
		case kindCL100K:
			end = s.nextCL100K(text, i)
		default:
			end = s.nextO200K(text, i)
		}
		if matched {
			dst = append(dst, Span{Start: i, End: end})
		}
		i = end
	}
	return dst
}

// contraction returns the end of `'s|'t|'re|'ve|'m|'ll|'d` starting at
// the apostrophe at text[i], or -1.
func (s *scanner) contraction(text string, i int) int {
	j := i + 1
	if j >= len(text) {
		return -1
	}
	c := text[j]
	if s.fold && 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	switch c {
	case 's', 't', 'm', 'd':
		return j + 1
	case 'r', 'v', 'l':
		if j+1 < len(text) {
			c2 := text[j+1]
			if s.fold && 'A' <= c2 && c2 <= 'Z' {
				c2 += 'a' - 'A'
			}
			if (c == 'l' && c2 == 'l') || (c != 'l' && c2 == 'e') {
				return j + 2
			}
		}
	case 0xC5: // U+017F LATIN SMALL LETTER LONG S folds to 's'.
		if s.unicodeFold && j+1 < len(text) && text[j+1] == 0xBF {
			return j + 2
		}
	}
	return -1
}

// run returns the end of the run of runes from i that have a bit of mask.
func (u *ucd) run(text string, i int, mask uint8) int {
	for i < len(text) {
		if c := text[i]; c < utf8.RuneSelf {
			if asciiClass[c]&mask == 0 {
				return i
			}
			i++
			continue
		}
		f, n := u.classSlow(text, i)
		if f&mask == 0 {
			break
		}
		i += n
	}
	return i
}

// runOther returns the end of the run of [^\s\p{L}\p{N}] runes from i.
func (u *ucd) runOther(text string, i int) int {
	for i < len(text) {
		if c := text[i]; c < utf8.RuneSelf {
			if asciiClass[c]&cLNS != 0 {
				return i
			}
			i++
			continue
		}
		f, n := u.classSlow(text, i)
		if f&cLNS != 0 {
			break
		}
		i += n
	}
	return i
}

// runNumbers returns the end of at most max (0: any number of) \p{N} runes
// from i.
func (u *ucd) runNumbers(text string, i, max int) int {
	for k := 0; i < len(text) && (max == 0 || k < max); k++ {
		f, n := u.class(text, i)
		if f&cN == 0 {
			break
		}
		i += n
	}
	return i
}

// runNewlines returns the end of [\r\n]* (and '/' when slash) from i.
func runNewlines(text string, i int, slash bool) int {
	for i < len(text) && (text[i] == '\r' || text[i] == '\n' || (slash && text[i] == '/')) {
		i++
	}
	return i
}

// spaceRun scans the white-space run at i: its end, the start of its last
// rune, and the end of its last \r or \n (-1 when it has none).
func (u *ucd) spaceRun(text string, i int) (end, last, nlEnd int) {
	end, last, nlEnd = i, i, -1
	for end < len(text) {
		f, n := u.class(text, end)
		if f&cS == 0 {
			break
		}
		last = end
		if f&cNL != 0 {
			nlEnd = end + n
		}
		end += n
	}
	return end, last, nlEnd
}

// nextGPT2 matches at i:
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func (s *scanner) nextGPT2(text string, i int) (int, bool) {
	u := s.u
	b := text[i]
	if b == '\'' {
		if e := s.contraction(text, i); e >= 0 {
			return e, true
		}
	}
	f, n := u.class(text, i)
	j := i
	if b == ' ' && i+1 < len(text) {
		if f2, n2 := u.class(text, i+1); f2&cS == 0 {
			f, n, j = f2, n2, i+1
		}
	}
	switch {
	case f&cL != 0:
		return u.run(text, j+n, cL), true
	case f&cN != 0:
		return u.run(text, j+n, cN), true
	case f&cS == 0:
		return u.runOther(text, j+n), true
	}
	end, last, _ := u.spaceRun(text, i)
	switch {
	case end == len(text):
		return end, true // \s+(?!\S) up to the end
	case last > i:
		return last, true // \s+(?!\S) leaves the last rune
	}
	return end, !s.lone // \s+: one rune before a non-space
}

// nextCL100K matches at i:
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// and the possessive form with `\s++$` before `\s*[\r\n]`.
func (s *scanner) nextCL100K(text string, i int) int {
	u := s.u
	b := text[i]
	if b == '\'' {
		if e := s.contraction(text, i); e >= 0 {
			return e
		}
	}
	f, n := u.class(text, i)
	if f&cL != 0 {
		return u.run(text, i+n, cL)
	}
	if f&(cN|cNL) == 0 && i+n < len(text) {
		if f2, n2 := u.class(text, i+n); f2&cL != 0 {
			return u.run(text, i+n+n2, cL)
		}
	}
	if f&cN != 0 {
		return u.runNumbers(text, i, s.digits)
	}
	if f&cS == 0 {
		return runNewlines(text, u.runOther(text, i+n), false)
	}
	if b == ' ' && i+1 < len(text) {
		if f2, n2 := u.class(text, i+1); f2&cLNS == 0 {
			return runNewlines(text, u.runOther(text, i+1+n2), false)
		}
	}
	return s.spaces(text, i)
}

// spaces matches \s*[\r\n]+|\s+(?!\S)|\s+ at i (a white-space rune), with
// `\s++$` first when s.endFirst.
func (s *scanner) spaces(text string, i int) int {
	u := s.u
	end, last, nlEnd := u.spaceRun(text, i)
	switch {
	case s.endFirst && end == len(text):
		return end
	case nlEnd >= 0:
		return nlEnd
	case end == len(text):
		return end
	case last > i:
		return last
	}
	return end
}

// o200kLower matches [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+
// at i with backtracking, returning its end or -1.
func (u *ucd) o200kLower(text string, i int) int {
	j, lastBoth := i, -1
	for j < len(text) {
		f, n := u.class(text, j)
		if f&cU == 0 {
			break
		}
		if f&cW != 0 {
			lastBoth = j + n
		}
		j += n
	}
	if j < len(text) {
		if f, n := u.class(text, j); f&cW != 0 {
			return u.run(text, j+n, cW)
		}
	}
	// Give back upper runes until one can start the lower run: the last
	// rune in both classes, followed by a rune in neither.
	return lastBoth
}

// o200kUpper matches [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*
// at i, returning its end or -1.
func (u *ucd) o200kUpper(text string, i int) int {
	j := u.run(text, i, cU)
	if j == i {
		return -1
	}
	return u.run(text, j, cW)
}

// nextO200K matches o200k_base's pattern at i.
func (s *scanner) nextO200K(text string, i int) int {
	u := s.u
	b := text[i]
	f, n := u.class(text, i)
	prefix := f&(cL|cN|cNL) == 0 && i+n < len(text)
	e := -1
	if prefix {
		e = u.o200kLower(text, i+n)
	}
	if e < 0 {
		e = u.o200kLower(text, i)
	}
	if e < 0 && prefix {
		e = u.o200kUpper(text, i+n)
	}
	if e < 0 {
		e = u.o200kUpper(text, i)
	}
	if e >= 0 {
		if e < len(text) && text[e] == '\'' {
			if c := s.contraction(text, e); c >= 0 {
				return c
			}
		}
		return e
	}
	if f&cN != 0 {
		return u.runNumbers(text, i, s.digits)
	}
	if f&cS == 0 {
		return runNewlines(text, u.runOther(text, i+n), true)
	}
	if b == ' ' && i+1 < len(text) {
		if f2, n2 := u.class(text, i+1); f2&cLNS == 0 {
			return runNewlines(text, u.runOther(text, i+1+n2), true)
		}
	}
	return s.spaces(text, i)
}
