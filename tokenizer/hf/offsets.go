package hf

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/llmpipe/llmpipe/tokenizer"
)

var _ tokenizer.OffsetEncoder = (*Tokenizer)(nil)

// span is a half-open byte range of the original input.
type span struct{ start, end int }

// identityAlign aligns each byte of s (which starts at byte base of the
// input) with its whole character, as HF's char-based alignments do.
func identityAlign(dst []span, s string, base int) []span {
	for i := 0; i < len(s); {
		_, w := utf8.DecodeRuneInString(s[i:])
		for range w {
			dst = append(dst, span{base + i, base + i + w})
		}
		i += w
	}
	return dst
}

// charSpan is the union of the alignments of bytes [i, j) of al.
func charSpan(al []span, i, j int) span {
	sp := al[i]
	for k := i + 1; k < j; k++ {
		sp.start = min(sp.start, al[k].start)
		sp.end = max(sp.end, al[k].end)
	}
	return sp
}

// mapChars rewrites s character by character: f appends the replacement
// of r (nothing to delete it); every byte of it is aligned with r's span.
func mapChars(s string, al []span, f func(dst []byte, r rune) []byte) (string, []span) {
	out := make([]byte, 0, len(s)+8)
	oal := make([]span, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		sp := charSpan(al, i, i+w)
		n := len(out)
		out = f(out, r)
		for range len(out) - n {
			oal = append(oal, sp)
		}
		i += w
	}
	return string(out), oal
}

// byteLevelAlign is the alignment of bytesToByteLevel(s).
func byteLevelAlign(s string, al []span) []span {
	out := make([]span, 0, len(s)*2)
	for i := 0; i < len(s); i++ {
		for range utf8.RuneLen(tokenizer.ByteToRune(s[i])) {
			out = append(out, al[i])
		}
	}
	return out
}

// normalizeAligned is n.normalize that also carries the alignment of each
// byte, following NormalizedString's rules: a character that replaces
// another takes its alignment, an inserted one that of the character before
// it, removed characters vanish. Unicode normalization is aligned per
// normalization segment (see alignSegment).
func normalizeAligned(n normalizer, s string, al []span) (string, []span) {
	switch n := n.(type) {
	case normSeq:
		for _, x := range n {
			s, al = normalizeAligned(x, s, al)
		}
		return s, al
	case unicodeNorm:
		var b strings.Builder
		var oal []span
		for i := 0; i < len(s); {
			j := i + n.f.NextBoundaryInString(s[i:], true)
			if j <= i {
				j = len(s)
			}
			seg := n.f.String(s[i:j])
			b.WriteString(seg)
			if seg == s[i:j] {
				oal = append(oal, al[i:j]...)
			} else if rcs := hfNormChanges(n.f, s[i:j]); rcs != nil && rcsString(rcs) == seg {
				oal = applyChanges(oal, s[i:j], al[i:j], rcs)
			} else {
				oal = alignSegment(oal, s[i:j], al[i:j], seg)
			}
			i = j
		}
		return b.String(), oal
	case precompiledNorm:
		if n.m == nil {
			break
		}
		out, sp := n.m.NormalizeSpans(s)
		oal := make([]span, len(sp))
		for k, x := range sp {
			oal[k] = charSpan(al, x[0], x[1])
		}
		return out, oal
	case lowercase:
		return mapChars(s, al, func(dst []byte, r rune) []byte {
			if r == 'İ' {
				return append(dst, "i\u0307"...)
			}
			return utf8.AppendRune(dst, unicode.ToLower(r))
		})
	case stripAccents:
		return mapChars(s, al, func(dst []byte, r rune) []byte {
			if isCombiningMark(r) {
				return dst
			}
			return utf8.AppendRune(dst, r)
		})
	case bertNorm:
		return mapChars(s, al, func(dst []byte, r rune) []byte {
			if r < utf8.RuneSelf && r > 0 {
				c := byte(r)
				switch {
				case n.clean && (c == '\t' || c == '\n' || c == '\r'):
					c = ' '
				case n.clean && isBertControl(r):
					return dst
				case n.lower && c >= 'A' && c <= 'Z':
					c += 'a' - 'A'
				}
				return append(dst, c)
			}
			return append(dst, n.normalize(string(r))...)
		})
	case byteLevelNorm:
		return bytesToByteLevel(s), byteLevelAlign(s, al)
	case nmtNorm:
		return mapChars(s, al, func(dst []byte, r rune) []byte {
			if r = nmtMap(r); r < 0 {
				return dst
			}
			return utf8.AppendRune(dst, r)
		})
	case stripNorm:
		a, b := 0, len(s)
		if n.left {
			a = len(s) - len(strings.TrimLeftFunc(s, unicode.IsSpace))
		}
		if n.right {
			b = a + len(strings.TrimRightFunc(s[a:], unicode.IsSpace))
		}
		return s[a:b], al[a:b]
	case prependNorm:
		if s == "" {
			return s, al
		}
		oal := make([]span, 0, len(al)+len(n.p))
		for range len(n.p) {
			oal = append(oal, al[0])
		}
		return n.p + s, append(oal, al...)
	case replaceNorm:
		var spans [][2]int
		if n.re == nil {
			if n.lit == "" {
				return s, al
			}
			for i := 0; ; {
				j := strings.Index(s[i:], n.lit)
				if j < 0 {
					break
				}
				spans = append(spans, [2]int{i + j, i + j + len(n.lit)})
				i += j + len(n.lit)
			}
		} else {
			for _, sp := range n.re.FindAll(nil, s) {
				spans = append(spans, [2]int{sp.Start, sp.End})
			}
		}
		var b strings.Builder
		var oal []span
		prev := 0
		for _, sp := range spans {
			b.WriteString(s[prev:sp[0]])
			oal = append(oal, al[prev:sp[0]]...)
			b.WriteString(n.content)
			// HF removes the match and inserts the content, which
			// takes the alignment of the byte before the insertion
			// point: the match's last character.
			c := span{}
			if sp[1] > 0 {
				c = al[sp[1]-1]
			}
			for range len(n.content) {
				oal = append(oal, c)
			}
			prev = sp[1]
		}
		b.WriteString(s[prev:])
		return b.String(), append(oal, al[prev:]...)
	}
	{
		// Anything else: per run of non-space and of space characters.
		var b strings.Builder
		var oal []span
		for i := 0; i < len(s); {
			r, _ := utf8.DecodeRuneInString(s[i:])
			sp := unicode.IsSpace(r)
			j := i
			for j < len(s) {
				r2, w2 := utf8.DecodeRuneInString(s[j:])
				if unicode.IsSpace(r2) != sp {
					break
				}
				j += w2
			}
			seg := n.normalize(s[i:j])
			c := charSpan(al, i, j)
			b.WriteString(seg)
			for range len(seg) {
				oal = append(oal, c)
			}
			i = j
		}
		return b.String(), oal
	}
}

// rc is one output character of unicode-normalization-alignments with its
// change: 0 replaces the next input character, 1 is inserted, -n also
// removes the n input characters after it.
type rc struct {
	r      rune
	change int
}

func rcsString(rcs []rc) string {
	b := make([]byte, 0, len(rcs)*3)
	for _, x := range rcs {
		b = utf8.AppendRune(b, x.r)
	}
	return string(b)
}

func ccc(r rune) uint8 {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	return norm.NFD.Properties(buf[:n]).CCC()
}

// hfNormChanges normalizes one segment the way unicode-normalization-
// alignments does, keeping its changes: each character decomposes (the
// first part replaces it, the others are inserted), combining marks are
// sorted stably by combining class carrying their changes along, and the
// composing forms recompose (a composition adds the changes and subtracts
// one). It returns nil for invalid UTF-8.
func hfNormChanges(f norm.Form, seg string) []rc {
	if !utf8.ValidString(seg) {
		return nil
	}
	dec := norm.NFD
	if f == norm.NFKC || f == norm.NFKD {
		dec = norm.NFKD
	}
	var buf []rc
	for _, r := range seg {
		for i, c := range dec.String(string(r)) {
			ch := 0
			if i > 0 {
				ch = 1
			}
			buf = append(buf, rc{c, ch})
		}
	}
	// Canonical ordering: stable sort of each run of non-starters.
	for i := 0; i < len(buf); {
		if ccc(buf[i].r) == 0 {
			i++
			continue
		}
		j := i
		for j < len(buf) && ccc(buf[j].r) != 0 {
			j++
		}
		run := buf[i:j]
		for a := 1; a < len(run); a++ {
			for b := a; b > 0 && ccc(run[b-1].r) > ccc(run[b].r); b-- {
				run[b-1], run[b] = run[b], run[b-1]
			}
		}
		i = j
	}
	if f == norm.NFD || f == norm.NFKD {
		return buf
	}
	compose := func(a, b rune) (rune, bool) {
		c := norm.NFC.String(string(a) + string(b))
		r, n := utf8.DecodeRuneInString(c)
		if n == len(c) && r != utf8.RuneError {
			return r, true
		}
		return 0, false
	}
	// Recompositions::next as a loop over the whole segment.
	var out, pending []rc
	var composee *rc
	lastCCC := -1
	for _, x := range buf {
		cl := int(ccc(x.r))
		if composee == nil {
			if cl != 0 {
				out = append(out, x)
				continue
			}
			c := x
			composee = &c
			continue
		}
		if lastCCC < 0 {
			if r, ok := compose(composee.r, x.r); ok {
				composee.r, composee.change = r, composee.change+x.change-1
				continue
			}
			if cl == 0 {
				out = append(out, *composee)
				c := x
				composee = &c
				continue
			}
			pending = append(pending, x)
			lastCCC = cl
			continue
		}
		if lastCCC >= cl {
			if cl == 0 {
				out = append(out, *composee)
				out = append(out, pending...)
				pending = pending[:0]
				c := x
				composee = &c
				lastCCC = -1
				continue
			}
			pending = append(pending, x)
			lastCCC = cl
			continue
		}
		if r, ok := compose(composee.r, x.r); ok {
			composee.r, composee.change = r, composee.change+x.change-1
			continue
		}
		pending = append(pending, x)
		lastCCC = cl
	}
	if composee != nil {
		out = append(out, *composee)
	}
	return append(out, pending...)
}

// applyChanges is NormalizedString::transform over one segment: a
// character with change <= 0 takes the alignment of the next input
// character (and skips -change more), an inserted one that of the input
// character before it.
func applyChanges(oal []span, in string, al []span, rcs []rc) []span {
	var ins []span
	for i := 0; i < len(in); {
		_, w := utf8.DecodeRuneInString(in[i:])
		ins = append(ins, charSpan(al, i, i+w))
		i += w
	}
	k := 0
	for _, x := range rcs {
		var sp span
		if x.change > 0 {
			sp = ins[max(0, min(k, len(ins))-1)]
		} else {
			sp = ins[min(k, len(ins)-1)]
			k++
			if x.change < 0 {
				k -= x.change
			}
		}
		for range utf8.RuneLen(x.r) {
			oal = append(oal, sp)
		}
	}
	return oal
}

// alignSegment appends the alignment of out, the normalization of one
// normalization segment in (whose bytes are aligned by al). When the
// character counts agree the alignment is positional (canonical
// reordering). Otherwise input characters that reappear in the output keep
// their alignment, and the new output characters take, in order, those of
// the input characters that vanished, then that of the previous output
// character. That reproduces HF's alignments for compositions (the
// composed character stands for its base, absorbed marks vanish) and
// decompositions (every part stands for the decomposed character).
func alignSegment(oal []span, in string, al []span, out string) []span {
	if in == out {
		return append(oal, al...)
	}
	type ch struct {
		r    rune
		sp   span
		used bool
	}
	var ins [8]ch
	chars := ins[:0]
	for i := 0; i < len(in); {
		r, w := utf8.DecodeRuneInString(in[i:])
		chars = append(chars, ch{r, charSpan(al, i, i+w), false})
		i += w
	}
	if utf8.RuneCountInString(out) == len(chars) {
		// Same length (canonical reordering, one-to-one mappings):
		// position by position, as HF's change-0 transformations.
		k := 0
		for _, r := range out {
			for range utf8.RuneLen(r) {
				oal = append(oal, chars[k].sp)
			}
			k++
		}
		return oal
	}
	// Input characters that reappear in the output keep their alignment
	// (matched first come, first served); the others are consumed in order
	// by the new output characters.
	matched := make([]bool, len(chars))
	for _, r := range out {
		for k := range chars {
			if !matched[k] && chars[k].r == r {
				matched[k] = true
				break
			}
		}
	}
	prev := span{}
	if len(chars) > 0 {
		prev = chars[0].sp
	}
	for _, r := range out {
		sp, found := prev, false
		for k := range chars {
			if matched[k] && !chars[k].used && chars[k].r == r {
				chars[k].used, sp, found = true, chars[k].sp, true
				break
			}
		}
		if !found {
			for k := range chars {
				if !matched[k] && !chars[k].used {
					chars[k].used, sp = true, chars[k].sp
					break
				}
			}
		}
		for range utf8.RuneLen(r) {
			oal = append(oal, sp)
		}
		prev = sp
	}
	return oal
}

// offsetToken is one token of EncodeOffsets before the template.
type offsetToken struct {
	id  int
	tok string // HF's token string (for offset trimming)
	off tokenizer.Offset
}

// modelSpans appends the byte spans, within word, of ids (the model's
// encoding of word).
func (t *Tokenizer) modelSpans(dst [][2]int, word string, ids []int) [][2]int {
	switch m := t.model.(type) {
	case *bpeModel:
		c := 0
		for i, id := range ids {
			tok, _ := m.idToToken(id)
			n := 0
			switch {
			case m.byteLevel:
				raw, ok := tokenizer.ByteLevelToBytes(tok)
				if ok {
					n = len(raw)
				} else {
					n = len(tok)
				}
			case id == m.unk && m.unk >= 0:
				// An unknown run: up to the next character the
				// following token starts with, or the word's end.
				n = len(word) - c
				if i+1 < len(ids) {
					n = unkRunLen(m, word[c:])
				}
			case m.byteFallback && isByteToken(tok) && !strings.HasPrefix(word[c:], tok):
				n = 1
			default:
				n = len(tok)
				if c > 0 && m.prefix != "" && strings.HasPrefix(tok, m.prefix) && !strings.HasPrefix(word[c:], tok) {
					n -= len(m.prefix)
				}
				if m.suffix != "" && strings.HasSuffix(tok, m.suffix) && c+n-len(m.suffix) == len(word) {
					n -= len(m.suffix)
				}
			}
			n = max(0, min(n, len(word)-c))
			if i == len(ids)-1 {
				n = len(word) - c
			}
			dst = append(dst, [2]int{c, c + n})
			c += n
		}
		return dst
	case *wordPieceModel:
		_, offs := m.m.EncodeOffsets(nil, nil, word, 0)
		for _, o := range offs {
			dst = append(dst, [2]int{o.Start, o.End})
		}
		return dst
	case *unigramModel:
		_, offs := m.m.EncodeOffsets(nil, nil, word, 0)
		for _, o := range offs {
			dst = append(dst, [2]int{o.Start, o.End})
		}
		return dst
	default:
		for range ids {
			dst = append(dst, [2]int{0, len(word)})
		}
		return dst
	}
}

// unkRunLen is the length of the run of characters at the start of w that
// the BPE model cannot represent (what one fused unk stands for; one
// character without fuse_unk).
func unkRunLen(m *bpeModel, w string) int {
	n := 0
	for n < len(w) {
		r, size := utf8.DecodeRuneInString(w[n:])
		s := string(r)
		if n > 0 && m.prefix != "" {
			s = m.prefix + s
		}
		if _, ok := m.ids[s]; ok {
			break
		}
		if _, ok := m.ids[string(r)]; ok {
			break
		}
		n += size
		if !m.fuseUnk {
			break
		}
	}
	return max(n, 1)
}

// runOffsets is run with offsets: every id with its token string and the
// span of text it came from.
func (t *Tokenizer) runOffsets(text string, parseSpecial bool) ([]offsetToken, error) {
	var out []offsetToken
	segs := t.rawAdded.splitAdded(nil, text, 0, parseSpecial)
	var ids []int
	var spans [][2]int
	var err error
	for _, seg := range segs {
		if seg.id >= 0 {
			out = append(out, offsetToken{seg.id, seg.s, tokenizer.Offset{Start: seg.off, End: seg.off + len(seg.s)}})
			continue
		}
		s := seg.s
		al := identityAlign(nil, s, seg.off)
		if t.norm != nil {
			s, al = normalizeAligned(t.norm, s, al)
		}
		if s == "" {
			continue
		}
		for _, ns := range t.normAdded.splitAdded(nil, s, 0, parseSpecial) {
			nal := al[ns.off : ns.off+len(ns.s)]
			if ns.id >= 0 {
				sp := charSpan(nal, 0, len(nal))
				out = append(out, offsetToken{ns.id, ns.s, tokenizer.Offset{Start: sp.start, End: sp.end}})
				continue
			}
			p := piece{s: ns.s, off: seg.off + ns.off, al: nal}
			var pieces []piece
			if t.pre == nil {
				pieces = []piece{p}
			} else {
				pieces = t.pre.split(nil, p)
			}
			for _, p := range pieces {
				ids = ids[:0]
				if ids, err = t.model.encode(ids, p.s); err != nil {
					return out, err
				}
				spans = t.modelSpans(spans[:0], p.s, ids)
				for k, id := range ids {
					a, b := spans[k][0], spans[k][1]
					var sp span
					switch {
					case b > a:
						sp = charSpan(p.al, a, b)
					case a < len(p.al):
						sp = span{p.al[a].start, p.al[a].start}
					default:
						sp = span{p.al[len(p.al)-1].end, p.al[len(p.al)-1].end}
					}
					tok := ""
					if len(t.trim) > 0 {
						// Only offset trimming needs the token string.
						tok, _ = t.model.idToToken(id)
					}
					out = append(out, offsetToken{id, tok, tokenizer.Offset{Start: sp.start, End: sp.end}})
				}
			}
		}
	}
	return out, nil
}

// trimOffsets is the offset trimming of the ByteLevel and
// RobertaProcessing post-processors (trim_offsets): leading and trailing
// byte-level spaces ("Ġ") of a token are dropped from its offsets.
type trimOffsets struct{ addPrefixSpace bool }

func (tr trimOffsets) apply(toks []offsetToken, text string) {
	isSpace := func(r rune) bool { return r == 'Ġ' || unicode.IsSpace(r) }
	for i := range toks {
		t := &toks[i]
		lead, trail := 0, 0
		for _, r := range t.tok {
			if !isSpace(r) {
				break
			}
			lead++
		}
		for s := t.tok; s != ""; {
			r, w := utf8.DecodeLastRuneInString(s)
			if !isSpace(r) {
				break
			}
			trail++
			s = s[:len(s)-w]
		}
		// HF counts characters; step over characters of the input.
		if lead > 0 {
			if (i == 0 || t.off.Start == 0) && tr.addPrefixSpace && lead == 1 {
				lead = 0
			}
			p := t.off.Start
			for k := 0; k < lead && p < t.off.End; k++ {
				_, w := utf8.DecodeRuneInString(text[p:])
				p += w
			}
			t.off.Start = min(p, t.off.End)
		}
		if trail > 0 {
			p, k := t.off.End, 0
			for ; k < trail && p > 0; k++ {
				_, w := utf8.DecodeLastRuneInString(text[:p])
				p -= w
			}
			if k == trail {
				t.off.End = max(p, t.off.Start)
			}
		}
	}
}

// parseTrim finds the trim_offsets steps of a post_processor.
func parseTrim(raw json.RawMessage) []trimOffsets {
	if isNull(raw) {
		return nil
	}
	var j struct {
		Type           string            `json:"type"`
		Processors     []json.RawMessage `json:"processors"`
		TrimOffsets    *bool             `json:"trim_offsets"`
		AddPrefixSpace *bool             `json:"add_prefix_space"`
	}
	if json.Unmarshal(raw, &j) != nil {
		return nil
	}
	switch j.Type {
	case "ByteLevel", "RobertaProcessing":
		if boolOr(j.TrimOffsets, true) {
			return []trimOffsets{{addPrefixSpace: boolOr(j.AddPrefixSpace, true)}}
		}
	case "Sequence":
		var out []trimOffsets
		for _, p := range j.Processors {
			out = append(out, parseTrim(p)...)
		}
		return out
	}
	return nil
}

// EncodeOffsets is Encode that also returns, for each id, the byte span of
// text it came from (tokenizer.OffsetEncoder): HF's Encoding.offsets with
// bytes instead of characters. A token that covers part of a character
// (byte-level BPE, byte fallback) spans the whole character, as in HF;
// template tokens get {0, 0}; the post-processor's trim_offsets is
// applied. The spans are exact for normalizers that work character by
// character and approximate (whole normalization segments) for NFC/NFKC
// compositions and Precompiled.
func (t *Tokenizer) EncodeOffsets(text string, opts tokenizer.EncodeOptions) ([]int, []tokenizer.Offset, error) {
	toks, err := t.runOffsets(text, opts.ParseSpecial)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int, len(toks))
	for i, tk := range toks {
		ids[i] = tk.id
	}
	n := len(t.truncate(ids, opts.AddSpecial))
	if t.trunc != nil && t.trunc.Direction == "Left" {
		toks = toks[len(toks)-n:]
	} else {
		toks = toks[:n]
	}
	for _, tr := range t.trim {
		tr.apply(toks, text)
	}
	ids = ids[:0]
	offs := make([]tokenizer.Offset, 0, len(toks)+4)
	for _, tk := range toks {
		ids = append(ids, tk.id)
		offs = append(offs, tk.off)
	}
	if opts.AddSpecial && t.post != nil {
		out, _, added := t.post.apply(ids, nil)
		res := make([]tokenizer.Offset, 0, len(out))
		k := 0
		for i := range out {
			if added[i] {
				res = append(res, tokenizer.Offset{})
				continue
			}
			res = append(res, offs[k])
			k++
		}
		return out, res, nil
	}
	return ids, offs, nil
}
