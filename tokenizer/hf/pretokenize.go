package hf

import (
	"encoding/json"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// piece is a pre-token: its text and the byte offset in the original input
// where it starts (exact when no normalizer changed lengths before it; used
// by Metaspace's prepend_scheme "first").
type piece struct {
	s   string
	off int
	// al, when not nil (EncodeOffsets), holds for each byte of s the span
	// of the original input it stands for.
	al []span
}

// sub is the piece's bytes [start, end).
func (p piece) sub(start, end int) piece {
	q := piece{s: p.s[start:end], off: p.off + start}
	if p.al != nil {
		q.al = p.al[start:end]
	}
	return q
}

// preTokenizer splits one piece into pieces, appending them to dst. Empty
// pieces are never appended.
type preTokenizer interface {
	split(dst []piece, p piece) []piece
}

// behavior is a SplitDelimiterBehavior.
type behavior uint8

const (
	removed behavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

var behaviors = map[string]behavior{
	"Removed": removed, "Isolated": isolated, "MergedWithPrevious": mergedWithPrevious,
	"MergedWithNext": mergedWithNext, "Contiguous": contiguous,
}

// match is one stretch of a piece: a pattern match or the text between matches.
type match struct {
	start, end int
	isMatch    bool
}

// applyBehavior cuts p along ms (which cover p.s in order) the way
// NormalizedString::split does.
func applyBehavior(dst []piece, p piece, ms []match, b behavior) []piece {
	emit := func(start, end int) {
		if end > start {
			dst = append(dst, p.sub(start, end))
		}
	}
	switch b {
	case isolated:
		for _, m := range ms {
			emit(m.start, m.end)
		}
	case removed:
		for _, m := range ms {
			if !m.isMatch {
				emit(m.start, m.end)
			}
		}
	case contiguous:
		prev := false
		start, end, open := 0, 0, false
		for _, m := range ms {
			if open && m.isMatch == prev {
				end = m.end
			} else {
				if open {
					emit(start, end)
				}
				start, end, open = m.start, m.end, true
			}
			prev = m.isMatch
		}
		if open {
			emit(start, end)
		}
	case mergedWithPrevious:
		prev := false
		start, end, open := 0, 0, false
		for _, m := range ms {
			if m.isMatch && !prev && open {
				end = m.end
			} else {
				if open {
					emit(start, end)
				}
				start, end, open = m.start, m.end, true
			}
			prev = m.isMatch
		}
		if open {
			emit(start, end)
		}
	case mergedWithNext:
		// Walk backwards: a match joins the stretch that follows it.
		n0 := len(dst)
		prev := false
		start, end, open := 0, 0, false
		for i := len(ms) - 1; i >= 0; i-- {
			m := ms[i]
			if m.isMatch && !prev && open {
				start = m.start
			} else {
				if open {
					emit(start, end)
				}
				start, end, open = m.start, m.end, true
			}
			prev = m.isMatch
		}
		if open {
			emit(start, end)
		}
		// Restore left-to-right order.
		for i, j := n0, len(dst)-1; i < j; i, j = i+1, j-1 {
			dst[i], dst[j] = dst[j], dst[i]
		}
	}
	return dst
}

// spansToMatches turns regex matches into a covering list of stretches.
func spansToMatches(ms []match, spans []pretok.Span, n int, invert bool) []match {
	prev := 0
	for _, sp := range spans {
		if sp.Start > prev {
			ms = append(ms, match{prev, sp.Start, invert})
		}
		ms = append(ms, match{sp.Start, sp.End, !invert})
		prev = sp.End
	}
	if prev < n {
		ms = append(ms, match{prev, n, invert})
	}
	return ms
}

// charMatches lists stretches for a per-character predicate: every matching
// character is a match of its own.
func charMatches(ms []match, s string, pred func(rune) bool) []match {
	last := 0
	for i, r := range s {
		if pred(r) {
			w := utf8.RuneLen(r)
			if r == utf8.RuneError {
				w = 1
				if _, sz := utf8.DecodeRuneInString(s[i:]); sz > 0 {
					w = sz
				}
			}
			if last < i {
				ms = append(ms, match{last, i, false})
			}
			ms = append(ms, match{i, i + w, true})
			last = i + w
		}
	}
	if last < len(s) {
		ms = append(ms, match{last, len(s), false})
	}
	return ms
}

// splitPre is the Split pre-tokenizer (and the regex/predicate core of
// several others).
type splitPre struct {
	re     pretok.Splitter
	lit    string
	pred   func(rune) bool
	b      behavior
	invert bool
}

func (sp *splitPre) split(dst []piece, p piece) []piece {
	var buf [64]match
	ms := buf[:0]
	switch {
	case sp.pred != nil:
		ms = charMatches(ms, p.s, sp.pred)
	case sp.re != nil:
		var sbuf [64]pretok.Span
		ms = spansToMatches(ms, sp.re.FindAll(sbuf[:0], p.s), len(p.s), sp.invert)
	default:
		var spans []pretok.Span
		if sp.lit != "" {
			for i := 0; i <= len(p.s); {
				j := strings.Index(p.s[i:], sp.lit)
				if j < 0 {
					break
				}
				spans = append(spans, pretok.Span{Start: i + j, End: i + j + len(sp.lit)})
				i += j + len(sp.lit)
			}
		}
		ms = spansToMatches(ms, spans, len(p.s), sp.invert)
	}
	if sp.pred != nil && sp.invert {
		for i := range ms {
			ms[i].isMatch = !ms[i].isMatch
		}
	}
	return applyBehavior(dst, p, ms, sp.b)
}

// gpt2Pattern is the ByteLevel pre-tokenizer's regex (use_regex: true).
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// byteLevelPre is the ByteLevel pre-tokenizer. When mapBytes is false the
// byte-to-rune mapping is left to the model (the tokenizer's fast path).
type byteLevelPre struct {
	addPrefixSpace bool
	re             pretok.Splitter
	mapBytes       bool
}

func (b *byteLevelPre) split(dst []piece, p piece) []piece {
	if b.addPrefixSpace && !strings.HasPrefix(p.s, " ") {
		p.s = " " + p.s
		if p.al != nil && len(p.al) > 0 {
			// The added space stands for the first character (HF's prepend).
			p.al = append([]span{p.al[0]}, p.al...)
		}
	}
	n0 := len(dst)
	if b.re != nil {
		var sbuf [64]pretok.Span
		for _, sp := range b.re.FindAll(sbuf[:0], p.s) {
			dst = append(dst, p.sub(sp.Start, sp.End))
		}
		// Isolated: the text between matches is kept too.
		dst = fillGaps(dst, n0, p)
	} else if p.s != "" {
		dst = append(dst, p)
	}
	if b.mapBytes {
		for i := n0; i < len(dst); i++ {
			if dst[i].al != nil {
				dst[i].al = byteLevelAlign(dst[i].s, dst[i].al)
			}
			dst[i].s = bytesToByteLevel(dst[i].s)
		}
	}
	return dst
}

// fillGaps inserts the unmatched stretches of p between the matches
// dst[n0:], keeping order.
func fillGaps(dst []piece, n0 int, p piece) []piece {
	covered := 0
	for i := n0; i < len(dst); i++ {
		covered += len(dst[i].s)
	}
	if covered == len(p.s) {
		return dst
	}
	matches := append([]piece(nil), dst[n0:]...)
	dst = dst[:n0]
	prev := p.off
	for _, m := range matches {
		if m.off > prev {
			dst = append(dst, p.sub(prev-p.off, m.off-p.off))
		}
		dst = append(dst, m)
		prev = m.off + len(m.s)
	}
	if end := p.off + len(p.s); prev < end {
		dst = append(dst, p.sub(prev-p.off, len(p.s)))
	}
	return dst
}

// metaspacePre is the Metaspace pre-tokenizer.
type metaspacePre struct {
	repl    string
	scheme  string // "always", "first", "never"
	splitOn bool
}

func (m *metaspacePre) split(dst []piece, p piece) []piece {
	s := strings.ReplaceAll(p.s, " ", m.repl)
	var al []span
	if p.al != nil {
		al = make([]span, 0, len(s)+len(m.repl))
		for i := 0; i < len(p.s); i++ {
			al = append(al, p.al[i])
			if p.s[i] == ' ' {
				for range len(m.repl) - 1 {
					al = append(al, p.al[i])
				}
			}
		}
	}
	prepend := false
	switch m.scheme {
	case "always":
		prepend = !strings.HasPrefix(s, m.repl)
	case "first":
		prepend = !strings.HasPrefix(s, m.repl) && p.off == 0
	}
	if prepend {
		s = m.repl + s
		if al != nil && len(al) > 0 {
			pre := make([]span, len(m.repl), len(m.repl)+len(al))
			for i := range pre {
				pre[i] = al[0]
			}
			al = append(pre, al...)
		}
	}
	q := piece{s: s, off: p.off, al: al}
	if !m.splitOn {
		if s != "" {
			dst = append(dst, q)
		}
		return dst
	}
	// MergedWithNext on the replacement character: every occurrence starts
	// a new piece.
	start := 0
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], m.repl)
		if j < 0 {
			break
		}
		cut := i + j
		if cut > start {
			dst = append(dst, q.sub(start, cut))
		}
		start = cut
		i = cut + len(m.repl)
	}
	if start < len(s) {
		dst = append(dst, q.sub(start, len(s)))
	}
	return dst
}

// whitespacePre is the Whitespace pre-tokenizer: runs of \w and runs of
// [^\w\s], whitespace dropped.
type whitespacePre struct{}

// isWordRune is Rust regex's Unicode \w: Alphabetic (letters, Nl and
// Other_Alphabetic, which includes circled letters and many vowel signs),
// marks, decimal digits, connector punctuation and the join controls.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Pc, r) ||
		unicode.Is(unicode.Nl, r) || r == 0x200C || r == 0x200D || unicode.Is(unicode.Other_Alphabetic, r)
}

func (whitespacePre) split(dst []piece, p piece) []piece {
	const (
		none = iota
		word
		other
	)
	kind, start := none, 0
	for i, r := range p.s {
		k := other
		if isWordRune(r) {
			k = word
		} else if unicode.IsSpace(r) {
			k = none
		}
		if k != kind {
			if kind != none {
				dst = append(dst, p.sub(start, i))
			}
			kind, start = k, i
		}
	}
	if kind != none {
		dst = append(dst, p.sub(start, len(p.s)))
	}
	return dst
}

// bertPre is the BertPreTokenizer: whitespace removed, punctuation isolated.
type bertPre struct{}

func isBertPunct(r rune) bool {
	if r < utf8.RuneSelf {
		return (r >= '!' && r <= '/') || (r >= ':' && r <= '@') || (r >= '[' && r <= '`') || (r >= '{' && r <= '~')
	}
	// unicode_categories' punctuation (an older Unicode): unitables.go.
	return unicode.IsPunct(r) && !unicode.Is(hfPunctDel, r) || unicode.Is(hfPunctAdd, r)
}

func (bertPre) split(dst []piece, p piece) []piece {
	start := -1
	for i, r := range p.s {
		switch {
		case unicode.IsSpace(r):
			if start >= 0 {
				dst = append(dst, p.sub(start, i))
				start = -1
			}
		case isBertPunct(r):
			if start >= 0 {
				dst = append(dst, p.sub(start, i))
				start = -1
			}
			w := utf8.RuneLen(r)
			if w < 0 {
				w = 1
			}
			dst = append(dst, p.sub(i, i+w))
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		dst = append(dst, p.sub(start, len(p.s)))
	}
	return dst
}

// fixedLengthPre is the FixedLength pre-tokenizer: pieces of n characters.
type fixedLengthPre struct{ n int }

func (f fixedLengthPre) split(dst []piece, p piece) []piece {
	start, k := 0, 0
	for i := range p.s {
		if k == f.n {
			dst = append(dst, p.sub(start, i))
			start, k = i, 0
		}
		k++
	}
	if start < len(p.s) {
		dst = append(dst, p.sub(start, len(p.s)))
	}
	return dst
}

// unicodeScriptsPre is the UnicodeScripts pre-tokenizer: a cut wherever
// the script changes, Hiragana, Katakana and U+30FC counting as Han and " "
// and unassigned characters belonging to no script (they never start a
// piece). As in HF, text before the first character with a script (leading
// spaces) is dropped. Go's script tables are newer than HF's: characters
// assigned since then may cut differently.
type unicodeScriptsPre struct{}

func (unicodeScriptsPre) split(dst []piece, p piece) []piece {
	var cuts []int
	last := ""
	for i, r := range p.s {
		sc := fixedScript(r)
		if sc != "" && last != "" && sc != last || sc != "" && last == "" {
			cuts = append(cuts, i)
		}
		if sc != "" {
			last = sc
		}
	}
	cuts = append(cuts, len(p.s))
	for k := 0; k+1 < len(cuts); k++ {
		if cuts[k+1] > cuts[k] {
			dst = append(dst, p.sub(cuts[k], cuts[k+1]))
		}
	}
	return dst
}

func fixedScript(r rune) string {
	switch {
	case r == ' ':
		return ""
	case r == 0x30FC:
		return "Han"
	}
	switch sc := scriptOf(r); sc {
	case "Hiragana", "Katakana":
		return "Han"
	case "Unknown":
		return "" // unassigned: HF's table gives Script::Any
	default:
		return sc
	}
}

var (
	scriptOnce  sync.Once
	scriptNames []string
	bmpScript   []uint8 // index into scriptNames for each BMP code point
)

// scriptOf is the Unicode Script property of r ("Unknown" when unassigned).
func scriptOf(r rune) string {
	scriptOnce.Do(func() {
		scriptNames = append(scriptNames, "Unknown")
		bmpScript = make([]uint8, 0x10000)
		for name, tab := range unicode.Scripts {
			scriptNames = append(scriptNames, name)
			idx := uint8(len(scriptNames) - 1)
			for _, rg := range tab.R16 {
				for c := rune(rg.Lo); c <= rune(rg.Hi); c += rune(rg.Stride) {
					bmpScript[c] = idx
				}
			}
		}
	})
	if r >= 0 && r < 0x10000 {
		return scriptNames[bmpScript[r]]
	}
	for name, tab := range unicode.Scripts {
		if unicode.Is(tab, r) {
			return name
		}
	}
	return "Unknown"
}

// preSeq runs pre-tokenizers one after the other over all pieces.
type preSeq []preTokenizer

func (s preSeq) split(dst []piece, p piece) []piece {
	cur := []piece{p}
	var next []piece
	for _, pt := range s {
		next = next[:0]
		for _, q := range cur {
			next = pt.split(next, q)
		}
		cur, next = next, cur
	}
	return append(dst, cur...)
}

type preJSON struct {
	Type               string            `json:"type"`
	Pretokenizers      []json.RawMessage `json:"pretokenizers"`
	AddPrefixSpace     *bool             `json:"add_prefix_space"`
	UseRegex           *bool             `json:"use_regex"`
	Pattern            *patternJSON      `json:"pattern"`
	Behavior           *string           `json:"behavior"`
	Invert             bool              `json:"invert"`
	Replacement        *string           `json:"replacement"`
	PrependScheme      *string           `json:"prepend_scheme"`
	Split              *bool             `json:"split"`
	IndividualDigits   bool              `json:"individual_digits"`
	Delimiter          *string           `json:"delimiter"`
	TrimOffsets        *bool             `json:"trim_offsets"`
	Length             *int              `json:"length"`
	SplitOnWhitespaces json.RawMessage   `json:"-"`
}

func parseBehavior(s *string, def behavior, path string) (behavior, error) {
	if s == nil {
		return def, nil
	}
	b, ok := behaviors[*s]
	if !ok {
		return 0, errAt(path, "unknown split behavior %q", *s)
	}
	return b, nil
}

// parsePreTokenizer builds a pre-tokenizer; JSON null gives nil.
func parsePreTokenizer(raw json.RawMessage, path string) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var j preJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errAt(path, "%v", err)
	}
	switch j.Type {
	case "Sequence":
		var seq preSeq
		for i, r := range j.Pretokenizers {
			p, err := parsePreTokenizer(r, indexPath(path+".pretokenizers", i))
			if err != nil {
				return nil, err
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		return seq, nil
	case "ByteLevel":
		b := &byteLevelPre{addPrefixSpace: boolOr(j.AddPrefixSpace, true), mapBytes: true}
		if boolOr(j.UseRegex, true) {
			re, err := pretok.CompileUnicode(gpt2Pattern, pretok.Unicode16)
			if err != nil {
				return nil, errAt(path, "%v", err)
			}
			b.re = re
		}
		return b, nil
	case "Split":
		if j.Pattern == nil {
			return nil, errAt(path+".pattern", "missing")
		}
		b, err := parseBehavior(j.Behavior, removed, path+".behavior")
		if err != nil {
			return nil, err
		}
		sp := &splitPre{b: b, invert: j.Invert}
		switch {
		case j.Pattern.String != nil:
			sp.lit = *j.Pattern.String
		case j.Pattern.Regex != nil:
			re, err := pretok.CompileUnicode(*j.Pattern.Regex, pretok.Unicode16)
			if err != nil {
				return nil, errAt(path+".pattern.Regex", "%v", err)
			}
			sp.re = re
		default:
			return nil, errAt(path+".pattern", "want {\"String\": ...} or {\"Regex\": ...}")
		}
		return sp, nil
	case "Metaspace":
		m := &metaspacePre{repl: "▁", scheme: "always", splitOn: boolOr(j.Split, true)}
		if j.Replacement != nil {
			if utf8.RuneCountInString(*j.Replacement) != 1 {
				return nil, errAt(path+".replacement", "want one character, got %q", *j.Replacement)
			}
			m.repl = *j.Replacement
		}
		if j.PrependScheme != nil {
			switch *j.PrependScheme {
			case "always", "first", "never":
				m.scheme = *j.PrependScheme
			default:
				return nil, errAt(path+".prepend_scheme", "unknown scheme %q", *j.PrependScheme)
			}
		}
		if j.AddPrefixSpace != nil && !*j.AddPrefixSpace {
			if j.PrependScheme != nil && m.scheme != "never" {
				return nil, errAt(path+".add_prefix_space", "false does not match prepend_scheme %q", m.scheme)
			}
			m.scheme = "never"
		}
		return m, nil
	case "Whitespace":
		return whitespacePre{}, nil
	case "WhitespaceSplit":
		return &splitPre{pred: unicode.IsSpace, b: removed}, nil
	case "BertPreTokenizer":
		return bertPre{}, nil
	case "Digits":
		if j.IndividualDigits {
			return &splitPre{pred: unicode.IsNumber, b: isolated}, nil
		}
		return &splitPre{pred: unicode.IsNumber, b: contiguous}, nil
	case "Punctuation":
		b, err := parseBehavior(j.Behavior, isolated, path+".behavior")
		if err != nil {
			return nil, err
		}
		return &splitPre{pred: isBertPunct, b: b}, nil
	case "FixedLength":
		n := 5
		if j.Length != nil {
			n = *j.Length
		}
		if n <= 0 {
			return nil, errAt(path+".length", "want a positive length")
		}
		return fixedLengthPre{n: n}, nil
	case "UnicodeScripts":
		return unicodeScriptsPre{}, nil
	case "CharDelimiterSplit":
		if j.Delimiter == nil || utf8.RuneCountInString(*j.Delimiter) != 1 {
			return nil, errAt(path+".delimiter", "want one character")
		}
		d, _ := utf8.DecodeRuneInString(*j.Delimiter)
		return &splitPre{pred: func(r rune) bool { return r == d }, b: removed}, nil
	case "":
		return nil, errAt(path+".type", "missing pre-tokenizer type")
	default:
		return nil, errAt(path+".type", "unsupported pre-tokenizer type %q", j.Type)
	}
}
