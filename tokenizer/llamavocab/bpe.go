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
	pats, err := pretok.LlamaCppPre(v.pre)
	if err != nil {
		return fmt.Errorf("tokenizer.ggml.pre %q: %w", v.pre, err)
	}
	sps := make([]pretok.Splitter, len(pats))
	for i, p := range pats {
		if sps[i], err = pretok.Compile(p); err != nil {
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
	spans := v.split.FindAll(nil, text)
	var syms []int
	for _, sp := range spans {
		if sp.End <= sp.Start {
			continue
		}
		word := text[sp.Start:sp.End]
		if v.byteEncode {
			word = tokenizer.BytesToByteLevel([]byte(word))
		}
		if v.ignoreMerges {
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
