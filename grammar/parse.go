package grammar

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits that keep a hostile grammar from exhausting memory.
const (
	// MaxRepeat is the largest count a {m,n} repetition may give.
	MaxRepeat = 100000
	// maxElems bounds the size of a compiled grammar.
	maxElems = 1 << 22
)

// SyntaxError is a GBNF parse error at a line and column (both from 1; the
// column counts characters).
type SyntaxError struct {
	Line, Col int
	Msg       string
}

// Error formats the error as "grammar: line L, column C: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("grammar: line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// parser reads GBNF into rules of alternatives, as llama.cpp's
// llama_grammar_parser does, but with its own recursive-descent code.
type parser struct {
	src string
	pos int

	names   []string
	index   map[string]int
	defined []int // offset of the definition, -1 while undefined
	used    []int // offset of the first use
	rules   [][][]elem
	synth   map[string]int // per base name: synthetic rules made so far

	sets   []charSet
	setIdx map[string]int32
	nelems int
}

// Parse reads a GBNF grammar. The start rule is named root. A rule ends at
// the end of the line unless the next line goes on with the rule (for
// example a line starting with "|"): the next rule begins where a name is
// followed by "::=".
func Parse(src string) (*Grammar, error) {
	p := &parser{src: src, index: map[string]int{}, synth: map[string]int{}, setIdx: map[string]int32{}}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return p.build()
}

func (p *parser) errAt(off int, format string, args ...any) error {
	line, col := 1, 1
	for _, r := range p.src[:min(off, len(p.src))] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) ruleID(name string, off int, define bool) int {
	id, ok := p.index[name]
	if !ok {
		id = len(p.names)
		p.index[name] = id
		p.names = append(p.names, name)
		p.defined = append(p.defined, -1)
		p.used = append(p.used, -1)
		p.rules = append(p.rules, nil)
	}
	if !define && p.used[id] < 0 {
		p.used[id] = off
	}
	return id
}

// newSynth makes a rule for a group or repetition inside rule base.
func (p *parser) newSynth(base string) int {
	for {
		p.synth[base]++
		name := base + "-" + strconv.Itoa(p.synth[base])
		if _, taken := p.index[name]; !taken {
			id := p.ruleID(name, 0, true)
			p.defined[id] = 0
			return id
		}
	}
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// skipBlank skips spaces, tabs and comments on the current line.
func (p *parser) skipBlank() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t':
			p.pos++
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' && p.src[p.pos] != '\r' {
				p.pos++
			}
		default:
			return
		}
	}
}

// skipSpace skips blanks, comments and line breaks.
func (p *parser) skipSpace() {
	for {
		p.skipBlank()
		if p.pos < len(p.src) && (p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
			p.pos++
			continue
		}
		return
	}
}

// atRuleStart reports whether a rule definition ("name ::=") starts at off.
func (p *parser) atRuleStart(off int) bool {
	i := off
	for i < len(p.src) && isWordChar(p.src[i]) {
		i++
	}
	if i == off {
		return false
	}
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	return strings.HasPrefix(p.src[i:], "::=")
}

// skipSeqSpace skips the space between symbols of a sequence. Nested (inside
// parentheses) line breaks are plain space; at the top level a line break
// ends the rule when what follows is the end or the next rule.
func (p *parser) skipSeqSpace(nested bool) {
	p.skipBlank()
	if nested {
		p.skipSpace()
		return
	}
	if p.pos < len(p.src) && (p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		save := p.pos
		p.skipSpace()
		if p.pos >= len(p.src) || p.atRuleStart(p.pos) {
			p.pos = save
		}
	}
}

func (p *parser) parse() error {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return p.errAt(p.pos, "empty grammar: no rules")
	}
	for p.pos < len(p.src) {
		if err := p.parseRule(); err != nil {
			return err
		}
		p.skipSpace()
	}
	return nil
}

func (p *parser) parseName() (string, error) {
	start := p.pos
	for p.pos < len(p.src) && isWordChar(p.src[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return "", p.errAt(start, "expecting a rule name, found %s", p.describe(start))
	}
	return p.src[start:p.pos], nil
}

// describe names what is at off for an error message.
func (p *parser) describe(off int) string {
	if off >= len(p.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.src[off:])
	return strconv.QuoteRune(r)
}

func (p *parser) parseRule() error {
	start := p.pos
	name, err := p.parseName()
	if err != nil {
		return err
	}
	p.skipBlank()
	if !strings.HasPrefix(p.src[p.pos:], "::=") {
		return p.errAt(p.pos, "expecting ::= after rule name %s, found %s", name, p.describe(p.pos))
	}
	p.pos += 3
	id := p.ruleID(name, start, true)
	if p.defined[id] >= 0 {
		prev := p.errAt(p.defined[id], "").(*SyntaxError)
		return p.errAt(start, "rule %s is defined twice (first at line %d, column %d)", name, prev.Line, prev.Col)
	}
	p.defined[id] = start
	p.skipSeqSpace(false)
	alts, err := p.parseAlternates(name, false)
	if err != nil {
		return err
	}
	p.rules[id] = alts
	p.skipBlank()
	if p.pos < len(p.src) && p.src[p.pos] != '\n' && p.src[p.pos] != '\r' {
		return p.errAt(p.pos, "expecting end of line after rule %s, found %s", name, p.describe(p.pos))
	}
	return nil
}

func (p *parser) parseAlternates(name string, nested bool) ([][]elem, error) {
	var alts [][]elem
	for {
		seq, err := p.parseSequence(name, nested)
		if err != nil {
			return nil, err
		}
		alts = append(alts, seq)
		if p.pos < len(p.src) && p.src[p.pos] == '|' {
			p.pos++
			p.skipSeqSpace(nested)
			continue
		}
		return alts, nil
	}
}

func (p *parser) grow(n int) error {
	p.nelems += n
	if p.nelems > maxElems {
		return p.errAt(p.pos, "grammar too large (more than %d symbols after expanding repetitions)", maxElems)
	}
	return nil
}

func (p *parser) parseSequence(name string, nested bool) ([]elem, error) {
	var seq []elem
	last := -1 // start of the last symbol, for repetitions
	for {
		p.skipSeqSpace(nested)
		if p.pos >= len(p.src) {
			return seq, nil
		}
		start := p.pos
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			last = len(seq)
			for {
				if p.pos >= len(p.src) {
					return nil, p.errAt(start, "unterminated string literal")
				}
				if p.src[p.pos] == '"' {
					p.pos++
					break
				}
				r, err := p.parseChar()
				if err != nil {
					return nil, err
				}
				seq = append(seq, p.charElem([]rng{{r, r}}, false))
			}
			if err := p.grow(len(seq) - last); err != nil {
				return nil, err
			}
		case c == '[':
			p.pos++
			neg := false
			if p.pos < len(p.src) && p.src[p.pos] == '^' {
				neg = true
				p.pos++
			}
			var rs []rng
			for {
				if p.pos >= len(p.src) {
					return nil, p.errAt(start, "unterminated character class")
				}
				if p.src[p.pos] == ']' {
					p.pos++
					break
				}
				lo, err := p.parseChar()
				if err != nil {
					return nil, err
				}
				hi := lo
				if p.pos+1 < len(p.src) && p.src[p.pos] == '-' && p.src[p.pos+1] != ']' {
					p.pos++
					rangeAt := p.pos
					if hi, err = p.parseChar(); err != nil {
						return nil, err
					}
					if hi < lo {
						return nil, p.errAt(rangeAt, "character range %q-%q is reversed", lo, hi)
					}
				}
				rs = append(rs, rng{lo, hi})
			}
			last = len(seq)
			seq = append(seq, p.charElem(rs, neg))
			if err := p.grow(1); err != nil {
				return nil, err
			}
		case c == '.':
			p.pos++
			last = len(seq)
			seq = append(seq, p.charElem([]rng{{0, utf8.MaxRune}}, false))
			if err := p.grow(1); err != nil {
				return nil, err
			}
		case c == '(':
			p.pos++
			p.skipSpace()
			alts, err := p.parseAlternates(name, true)
			if err != nil {
				return nil, err
			}
			if p.pos >= len(p.src) || p.src[p.pos] != ')' {
				return nil, p.errAt(p.pos, "expecting ) to close the group opened at %s, found %s", p.posString(start), p.describe(p.pos))
			}
			p.pos++
			id := p.newSynth(name)
			p.rules[id] = alts
			last = len(seq)
			seq = append(seq, elem{kind: elemRef, arg: int32(id)})
			if err := p.grow(1); err != nil {
				return nil, err
			}
		case isWordChar(c):
			if !nested && p.atRuleStart(p.pos) {
				return nil, p.errAt(p.pos, "expecting end of line before the next rule")
			}
			ref, _ := p.parseName()
			last = len(seq)
			seq = append(seq, elem{kind: elemRef, arg: int32(p.ruleID(ref, start, false))})
			if err := p.grow(1); err != nil {
				return nil, err
			}
		case c == '*' || c == '+' || c == '?' || c == '{':
			if last < 0 {
				return nil, p.errAt(start, "repetition %q with nothing before it to repeat", c)
			}
			lo, hi := 0, -1
			p.pos++
			switch c {
			case '+':
				lo = 1
			case '?':
				hi = 1
			case '{':
				var err error
				if lo, hi, err = p.parseBraces(start); err != nil {
					return nil, err
				}
			}
			var err error
			if seq, err = p.repeat(name, seq, last, lo, hi); err != nil {
				return nil, err
			}
		case c == '|' || c == ')' || c == '\n' || c == '\r':
			return seq, nil
		case c == '<' || c == '!' && strings.HasPrefix(p.src[p.pos:], "!<"):
			return nil, p.errAt(start, "token references (<[id]>, <token>, !<…>) are not supported: write the token's text as a literal")
		default:
			return nil, p.errAt(start, "unexpected %s", p.describe(start))
		}
	}
}

func (p *parser) posString(off int) string {
	e := p.errAt(off, "").(*SyntaxError)
	return fmt.Sprintf("line %d, column %d", e.Line, e.Col)
}

// parseBraces reads the rest of {m}, {m,}, {m,n} or {,n}.
func (p *parser) parseBraces(start int) (lo, hi int, err error) {
	num := func() (int, bool, error) {
		p.skipBlank()
		s := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == s {
			return 0, false, nil
		}
		n, err := strconv.Atoi(p.src[s:p.pos])
		if err != nil || n > MaxRepeat {
			return 0, false, p.errAt(s, "repetition count %s is above the limit %d", p.src[s:p.pos], MaxRepeat)
		}
		p.skipBlank()
		return n, true, nil
	}
	lo, haveLo, err := num()
	if err != nil {
		return 0, 0, err
	}
	hi = lo
	if p.pos < len(p.src) && p.src[p.pos] == ',' {
		p.pos++
		var haveHi bool
		if hi, haveHi, err = num(); err != nil {
			return 0, 0, err
		}
		if !haveHi {
			hi = -1
		}
		if !haveLo {
			lo = 0
		}
	} else if !haveLo {
		return 0, 0, p.errAt(p.pos, "expecting a repetition count in {}, found %s", p.describe(p.pos))
	}
	if p.pos >= len(p.src) || p.src[p.pos] != '}' {
		return 0, 0, p.errAt(p.pos, "expecting } to close the repetition opened at %s, found %s", p.posString(start), p.describe(p.pos))
	}
	p.pos++
	if hi >= 0 && hi < lo {
		return 0, 0, p.errAt(start, "repetition {%d,%d} has its maximum below its minimum", lo, hi)
	}
	return lo, hi, nil
}

// repeat applies {lo,hi} (hi -1: unbounded) to seq[last:], as llama.cpp
// expands it: lo copies, then a star rule or a chain of hi-lo nested
// optional rules (x (x (x)?)?)? that keeps the expansion unambiguous.
func (p *parser) repeat(name string, seq []elem, last, lo, hi int) ([]elem, error) {
	sub := append([]elem(nil), seq[last:]...)
	seq = seq[:last]
	if len(sub) != 1 {
		id := p.newSynth(name)
		p.rules[id] = [][]elem{sub}
		sub = []elem{{kind: elemRef, arg: int32(id)}}
	}
	x := sub[0]
	extra := lo
	if hi > lo {
		extra += 2 * (hi - lo)
	}
	if err := p.grow(extra + 3); err != nil {
		return nil, err
	}
	for range lo {
		seq = append(seq, x)
	}
	switch {
	case hi < 0:
		id := p.newSynth(name)
		p.rules[id] = [][]elem{{x, {kind: elemRef, arg: int32(id)}}, {}}
		seq = append(seq, elem{kind: elemRef, arg: int32(id)})
	case hi > lo:
		prev := -1
		for range hi - lo {
			id := p.newSynth(name)
			alt := []elem{x}
			if prev >= 0 {
				alt = append(alt, elem{kind: elemRef, arg: int32(prev)})
			}
			p.rules[id] = [][]elem{alt, {}}
			prev = id
		}
		seq = append(seq, elem{kind: elemRef, arg: int32(prev)})
	}
	return seq, nil
}

func (p *parser) charElem(rs []rng, neg bool) elem {
	var key strings.Builder
	if neg {
		key.WriteByte('^')
	}
	for _, r := range rs {
		fmt.Fprintf(&key, "%x-%x,", r.lo, r.hi)
	}
	if id, ok := p.setIdx[key.String()]; ok {
		return elem{kind: elemChar, arg: id}
	}
	id := int32(len(p.sets))
	p.sets = append(p.sets, newCharSet(rs, neg))
	p.setIdx[key.String()] = id
	return elem{kind: elemChar, arg: id}
}

// parseChar reads one character of a literal or class: an escape or one
// UTF-8 encoded character.
func (p *parser) parseChar() (rune, error) {
	start := p.pos
	if p.src[p.pos] != '\\' {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if r == utf8.RuneError && n <= 1 {
			return 0, p.errAt(start, "invalid UTF-8")
		}
		p.pos += n
		return r, nil
	}
	p.pos++
	if p.pos >= len(p.src) {
		return 0, p.errAt(start, "unfinished escape at end of input")
	}
	c := p.src[p.pos]
	p.pos++
	hex := 0
	switch c {
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case '\\', '"', '[', ']', '-', '^', '/', '\'':
		return rune(c), nil
	case 'x':
		hex = 2
	case 'u':
		hex = 4
	case 'U':
		hex = 8
	default:
		r, _ := utf8.DecodeRuneInString(p.src[p.pos-1:])
		return 0, p.errAt(start, "unknown escape %q", "\\"+string(r))
	}
	if p.pos+hex > len(p.src) {
		return 0, p.errAt(start, "escape \\%c needs %d hex digits", c, hex)
	}
	v, err := strconv.ParseUint(p.src[p.pos:p.pos+hex], 16, 32)
	if err != nil {
		return 0, p.errAt(start, "escape \\%c needs %d hex digits, found %q", c, hex, p.src[p.pos:p.pos+hex])
	}
	if v > utf8.MaxRune {
		return 0, p.errAt(start, "escape \\%c%s is above U+10FFFF", c, p.src[p.pos:p.pos+hex])
	}
	p.pos += hex
	return rune(v), nil
}

// build checks references and flattens the rules into a Grammar.
func (p *parser) build() (*Grammar, error) {
	for id, name := range p.names {
		if p.defined[id] < 0 {
			return nil, p.errAt(p.used[id], "undefined rule %s", name)
		}
	}
	root, ok := p.index["root"]
	if !ok || p.defined[root] < 0 {
		return nil, &SyntaxError{Line: 1, Col: 1, Msg: "no rule named root (the start rule)"}
	}
	g := &Grammar{names: p.names, sets: p.sets, root: root}
	g.elems = make([]elem, 0, p.nelems+2*len(p.names)+8)
	g.elems = append(g.elems, elem{kind: elemRef, arg: int32(root)}, elem{kind: elemEnd})
	g.alts = make([][]int32, len(p.names))
	for id, alts := range p.rules {
		for _, a := range alts {
			g.alts[id] = append(g.alts[id], int32(len(g.elems)))
			g.elems = append(g.elems, a...)
			g.elems = append(g.elems, elem{kind: elemEnd})
		}
	}
	if err := g.finish(); err != nil {
		return nil, err
	}
	return g, nil
}
