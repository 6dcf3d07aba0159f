package llamavocab

import (
	"fmt"
	"strings"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/bpe"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// initBPE compiles the pre-tokenizer of tokenizer.ggml.pre and turns the
// merges into a bpe.Merges table over symbol ids: vocabulary ids, plus extra
// ids for merge operands and results that are not in the vocabulary
// (llama.cpp merges strings, so those take part in merging too).
func (v *Vocab) initBPE(merges []string) error {
	var pats []string
	var err error
	if local, ok := localPre[v.pre]; ok {
		pats = local
	} else if pats, err = pretok.LlamaCppPre(v.pre); err != nil {
		return fmt.Errorf("tokenizer.ggml.pre %q: %w", v.pre, err)
	}
	sps := make([]pretok.Splitter, len(pats))
	for i, p := range pats {
		if sps[i] = splitterFor(p); sps[i] != nil {
			continue
		}
		if sps[i], err = pretok.Compile(llamaCppPattern(p)); err != nil {
			return fmt.Errorf("tokenizer.ggml.pre %q: regex %d: %w", v.pre, i, err)
		}
	}
	v.split = pretok.Sequence(sps...)

	v.symID = make(map[string]int, len(v.toID))
	for t, id := range v.toID {
		v.symID[t] = id
	}
	sym := func(s string) int {
		if id, ok := v.symID[s]; ok {
			return id
		}
		id := len(v.text) + len(v.symText)
		v.symText = append(v.symText, s)
		v.symID[s] = id
		return id
	}
	v.merges = bpe.NewMerges(len(merges))
	for rank, m := range merges {
		if len(m) < 2 {
			continue
		}
		// llama.cpp splits at the first space from index 1.
		pos := strings.IndexByte(m[1:], ' ')
		if pos < 0 {
			continue
		}
		pos++
		a, b := m[:pos], m[pos+1:]
		if a == "" || b == "" {
			continue
		}
		v.merges.Add(sym(a), sym(b), rank, sym(a+b))
	}
	return nil
}

// llamaCppWideSpace is llama.cpp's unicode_set_whitespace above U+007F.
var llamaCppWideSpace = []rune{0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
	0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}

// ucatNames are the \p{..} classes for which llama.cpp's unicode_regex_split
// runs a regex on its collapsed text (k_ucat_enum).
var ucatNames = []string{`\p{N}`, `\p{L}`, `\p{P}`, `\p{M}`, `\p{S}`, `\p{Lu}`, `\p{Ll}`, `\p{Lt}`, `\p{Lm}`, `\p{Lo}`}

// llamaCppPattern adapts a pre-tokenizer regex to what llama.cpp's
// unicode_regex_split makes of it. A regex with \p{..} classes runs on the
// collapsed text (see collapsedPattern). Any other runs through std::wregex,
// and before matching unicode_regex_split replaces every non-ASCII whitespace
// code point of the text with U+000B, so such a code point never matches a
// literal or a range of a bracket expression (deepseek-llm's and
// deepseek-coder's [\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff] does not match
// U+2028 or U+3000; \s still does): the ranges and literals of bracket
// expressions are rewritten without those code points.
func llamaCppPattern(p string) string {
	for _, u := range ucatNames {
		if strings.Contains(p, u) {
			return collapsedPattern(p)
		}
	}
	if !strings.ContainsFunc(p, func(r rune) bool { return r > 0x7F }) {
		return p
	}
	rs := []rune(p)
	var b strings.Builder
	inside := false
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\\' && i+1 < len(rs):
			b.WriteRune(r)
			b.WriteRune(rs[i+1])
			i++
			continue
		case !inside && r == '[':
			inside = true
			b.WriteRune(r)
			if i+1 < len(rs) && rs[i+1] == '^' {
				b.WriteRune('^')
				i++
			}
			continue
		case inside && r == ']':
			inside = false
		case inside:
			lo, hi := r, r
			if i+2 < len(rs) && rs[i+1] == '-' && rs[i+2] != ']' && rs[i+2] != '\\' {
				hi = rs[i+2]
				i += 2
			}
			writeRangesWithout(&b, lo, hi)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// collapsedPattern adapts a regex that llama.cpp runs on its collapsed text
// (one with \p{..} classes): there every non-ASCII code point stands for its
// general category as a whole, and \p{Lu}, \p{Ll}, \p{Lt}, \p{Lm} and \p{Lo}
// all become the LETTER class, so they are rewritten as \p{L} (tiny_aya's
// [\p{Lu}…]*[\p{Ll}…]+ takes " iPhone" whole).
func collapsedPattern(p string) string {
	return letterSubclasses.Replace(p)
}

var letterSubclasses = strings.NewReplacer(`\p{Lu}`, `\p{L}`, `\p{Ll}`, `\p{L}`, `\p{Lt}`, `\p{L}`, `\p{Lm}`, `\p{L}`, `\p{Lo}`, `\p{L}`)

// writeRangesWithout writes the bracket-expression items for lo-hi minus
// llamaCppWideSpace.
func writeRangesWithout(b *strings.Builder, lo, hi rune) {
	emit := func(a, z rune) {
		if a > z {
			return
		}
		b.WriteRune(a)
		if z > a {
			if z > a+1 {
				b.WriteRune('-')
			}
			b.WriteRune(z)
		}
	}
	for _, w := range llamaCppWideSpace {
		if w < lo || w > hi {
			continue
		}
		emit(lo, w-1)
		lo = w + 1
	}
	emit(lo, hi)
}

// symString is the text of a symbol id (vocabulary or extra).
func (v *Vocab) symString(id int) string {
	if id < len(v.text) {
		return v.text[id]
	}
	return v.symText[id-len(v.text)]
}

// bpeTokenize is llm_tokenizer_bpe_session::tokenize for one raw fragment.
func (v *Vocab) bpeTokenize(text string, out []int) []int {
	text = sanitizeUTF8(text)
	spans := v.split.FindAll(nil, unicode151(text))
	var syms []int
	for _, sp := range spans {
		if sp.End <= sp.Start {
			continue
		}
		word := text[sp.Start:sp.End]
		if v.byteEncode {
			word = tokenizer.BytesToByteLevel([]byte(word))
		}
		if v.ignoreMerges || (v.gemma4 && strings.Trim(word, "\n") == "") {
			// ignore_merges: a word that is a token is that token. Gemma 4
			// (llama.cpp PR 21343) does the same for runs of newlines.
			if id, ok := v.toID[word]; ok {
				out = append(out, id)
				continue
			}
		}
		syms = syms[:0]
		for off := 0; off < len(word); {
			n := min(utf8Len(word[off]), len(word)-off)
			id, ok := v.symID[word[off:off+n]]
			if !ok {
				id = null
			}
			syms = append(syms, id)
			off += n
		}
		syms = v.merges.Apply(syms)
		off := 0
		for _, id := range syms {
			var s string
			if id == null {
				s = word[off : off+min(utf8Len(word[off]), len(word)-off)]
			} else {
				s = v.symString(id)
			}
			off += len(s)
			if id != null && id < len(v.text) {
				out = append(out, id)
				continue
			}
			out = v.bpeByteFallback(s, out)
		}
	}
	return out
}

// bpeByteFallback emits the single-byte tokens of a symbol that is not in
// the vocabulary; bytes without a token are dropped, as in llama.cpp.
func (v *Vocab) bpeByteFallback(s string, out []int) []int {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		var key string
		if v.byteEncode {
			key = string([]byte{c})
		} else {
			key = string([]byte{'<', '0', 'x', hex[c>>4], hex[c&15], '>'})
		}
		if id, ok := v.toID[key]; ok {
			out = append(out, id)
		}
	}
	return out
}
