package llamavocab

import (
	"container/heap"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// fragment is a piece of the input: raw text [off, off+n) or one token.
type fragment struct {
	tok    int
	off, n int
	raw    bool
}

// isSpaceC is C's isspace in the "C" locale.
func isSpaceC(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// partition cuts special-token text out of text, token by token in the order
// of v.special (longest first), as llama.cpp's tokenizer_st_partition does.
// CONTROL and UNKNOWN tokens are cut only with parseSpecial; USER_DEFINED
// tokens always.
func (v *Vocab) partition(text string, parseSpecial bool) []fragment {
	if text == "" {
		return nil
	}
	frags := []fragment{{raw: true, off: 0, n: len(text)}}
	var out []fragment
	for _, id := range v.special {
		a := v.attr[id]
		if !parseSpecial && a&(attrControl|attrUnknown) != 0 {
			continue
		}
		t := v.text[id]
		out = out[:0]
		for _, fr := range frags {
			if !fr.raw {
				out = append(out, fr)
				continue
			}
			off, n := fr.off, fr.n
			for n > 0 {
				idx := strings.Index(text[off:off+n], t)
				if idx < 0 {
					out = append(out, fragment{raw: true, off: off, n: n})
					break
				}
				left := idx
				if a&attrLStrip != 0 {
					for left > 0 && isSpaceC(text[off+left-1]) {
						left--
					}
				}
				if left > 0 {
					out = append(out, fragment{raw: true, off: off, n: left})
				}
				out = append(out, fragment{tok: id})
				end := off + idx + len(t)
				roff, rn := end, off+n-end
				if a&attrRStrip != 0 {
					for rn > 0 && isSpaceC(text[roff]) {
						roff++
						rn--
					}
				}
				off, n = roff, rn
			}
		}
		frags, out = out, frags
	}
	return frags
}

// Encode implements tokenizer.Tokenizer, as llama_tokenize(text,
// add_special=opts.AddSpecial, parse_special=opts.ParseSpecial).
func (v *Vocab) Encode(text string, opts tokenizer.EncodeOptions) ([]int, error) {
	if opts.AddSpecial {
		// llama.cpp loads such vocabularies and asserts here.
		switch {
		case v.kind == WPM && v.bos == null:
			return nil, fmt.Errorf("llamavocab: add_special: bert vocabulary without a CLS/BOS id (%s)", keyBOS)
		case v.kind == WPM && v.sep == null:
			return nil, fmt.Errorf("llamavocab: add_special: bert vocabulary without a SEP id (%s)", keySEP)
		case v.kind != WPM && v.addBOS && v.bos == null:
			return nil, fmt.Errorf("llamavocab: add_special: %s is true, but there is no BOS id (%s)", keyAddBOS, keyBOS)
		case v.kind != WPM && v.addEOS && v.eos == null:
			return nil, fmt.Errorf("llamavocab: add_special: %s is true, but there is no EOS id (%s)", keyAddEOS, keyEOS)
		}
	}
	frags := v.partition(text, opts.ParseSpecial)
	var out []int
	switch v.kind {
	case SPM:
		prevSpecial := true
		if opts.AddSpecial && v.addBOS {
			out = append(out, v.bos)
		}
		var s spmSession
		for _, fr := range frags {
			if !fr.raw {
				out = append(out, fr.tok)
				prevSpecial = true
				continue
			}
			t := text[fr.off : fr.off+fr.n]
			if v.addSpacePrefix && prevSpecial {
				t = " " + t
			}
			t = strings.ReplaceAll(t, " ", escapedSpace)
			out = s.tokenize(v, t, out)
			prevSpecial = false
		}
		if opts.AddSpecial && v.addEOS {
			out = append(out, v.eos)
		}
	case BPE:
		if opts.AddSpecial && v.addBOS {
			out = append(out, v.bos)
		}
		for _, fr := range frags {
			if !fr.raw {
				out = append(out, fr.tok)
				continue
			}
			t := text[fr.off : fr.off+fr.n]
			if v.escapeWhitespaces {
				t = strings.ReplaceAll(t, " ", escapedSpace)
			}
			out = v.bpeTokenize(t, out)
		}
		if opts.AddSpecial && v.addEOS {
			out = append(out, v.eos)
		}
	case WPM:
		if opts.AddSpecial {
			out = append(out, v.bos)
		}
		for _, fr := range frags {
			if !fr.raw {
				out = append(out, fr.tok)
				continue
			}
			out = v.wpmTokenize(text[fr.off:fr.off+fr.n], out)
		}
		if opts.AddSpecial {
			out = append(out, v.sep)
		}
	}
	return out, nil
}

// utf8Len is llama.cpp's unicode_len_utf8: the sequence length a lead byte
// announces (1 for continuation bytes).
func utf8Len(b byte) int {
	return [16]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4}[b>>4]
}

// byteToken is llama_vocab::byte_to_token for SPM: "<0xXX>", else the byte as
// a one-byte token; -1 when the vocabulary has neither (llama.cpp throws).
func (v *Vocab) byteToken(c byte) int {
	const hex = "0123456789ABCDEF"
	if id, ok := v.toID[string([]byte{'<', '0', 'x', hex[c>>4], hex[c&15], '>'})]; ok {
		return id
	}
	if id, ok := v.toID[string([]byte{c})]; ok {
		return id
	}
	return null
}

// spmSym is one symbol of the SPM merge: text[start:start+n], in a linked list.
type spmSym struct {
	prev, next int
	start, n   int
}

type spmBigram struct {
	left, right int
	score       float32
	size        int
}

// spmQueue pops the highest score first, the leftmost on ties.
type spmQueue []spmBigram

func (q spmQueue) Len() int { return len(q) }
func (q spmQueue) Less(i, j int) bool {
	if q[i].score != q[j].score {
		return q[i].score > q[j].score
	}
	return q[i].left < q[j].left
}
func (q spmQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *spmQueue) Push(x any)   { *q = append(*q, x.(spmBigram)) }
func (q *spmQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// spmSession is llm_tokenizer_spm_session.
type spmSession struct {
	syms []spmSym
	q    spmQueue
}

func (s *spmSession) tryAdd(v *Vocab, text string, left, right int) {
	if left < 0 || right < 0 {
		return
	}
	l := s.syms[left]
	piece := text[l.start : l.start+l.n+s.syms[right].n]
	id, ok := v.toID[piece]
	if !ok {
		return
	}
	heap.Push(&s.q, spmBigram{left: left, right: right, score: v.score[id], size: len(piece)})
}

// tokenize merges the UTF-8 characters of text by piece score and appends
// the ids. Symbols that are not pieces fall back to byte tokens. (llama.cpp
// also keeps a rev_merge map for resegmenting such symbols, but a merged
// symbol is always a piece, so only single characters can fall back.)
func (s *spmSession) tokenize(v *Vocab, text string, out []int) []int {
	s.syms = s.syms[:0]
	s.q = s.q[:0]
	for off := 0; off < len(text); {
		n := min(utf8Len(text[off]), len(text)-off)
		i := len(s.syms)
		next := i + 1
		if off+n == len(text) {
			next = -1
		}
		s.syms = append(s.syms, spmSym{prev: i - 1, next: next, start: off, n: n})
		off += n
	}
	for i := 1; i < len(s.syms); i++ {
		s.tryAdd(v, text, i-1, i)
	}
	for s.q.Len() > 0 {
		b := heap.Pop(&s.q).(spmBigram)
		l, r := &s.syms[b.left], &s.syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			s.syms[r.next].prev = b.left
		}
		s.tryAdd(v, text, l.prev, b.left)
		s.tryAdd(v, text, b.left, l.next)
	}
	for i := 0; i != -1 && i < len(s.syms); i = s.syms[i].next {
		sym := s.syms[i]
		piece := text[sym.start : sym.start+sym.n]
		if id, ok := v.toID[piece]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(piece); j++ {
			if id := v.byteToken(piece[j]); id != null {
				out = append(out, id)
			} else if v.unk != null {
				out = append(out, v.unk)
			}
		}
	}
	return out
}

// sanitizeUTF8 replaces every byte that is not part of a valid UTF-8
// sequence with U+FFFD, as llama.cpp's unicode_cpts_from_utf8 does.
func sanitizeUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}
