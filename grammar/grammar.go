package grammar

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Element kinds of the compiled grammar.
const (
	elemEnd  = iota // end of an alternative
	elemChar        // one character from a class (arg: index into sets)
	elemRef         // a rule reference (arg: rule index)
)

// elem is one symbol of a compiled alternative.
type elem struct {
	kind uint8
	arg  int32
}

// charSet is a set of code points as sorted, disjoint, non-adjacent ranges;
// ascii is its membership bitmap for 0-127.
type charSet struct {
	ranges []rng
	ascii  [2]uint64
}

// rng is the inclusive code-point range [lo, hi].
type rng struct{ lo, hi rune }

// contains reports whether c is in the set.
func (s *charSet) contains(c rune) bool {
	if c < 128 {
		return s.ascii[c>>6]&(1<<(c&63)) != 0
	}
	rs := s.ranges
	lo, hi := 0, len(rs)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case c < rs[m].lo:
			hi = m
		case c > rs[m].hi:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// intersects reports whether some code point in [lo, hi] is in the set.
func (s *charSet) intersects(lo, hi rune) bool {
	for _, r := range s.ranges {
		if r.lo <= hi && r.hi >= lo {
			return true
		}
	}
	return false
}

// containsRange reports whether every code point in [lo, hi] is in the set
// (ranges are merged, so one range must hold them all).
func (s *charSet) containsRange(lo, hi rune) bool {
	for _, r := range s.ranges {
		if r.lo <= lo {
			if r.hi >= hi {
				return true
			}
			continue
		}
		return false
	}
	return false
}

// newCharSet normalises ranges (sorted, merged; negated against
// [0, utf8.MaxRune] when neg is set).
func newCharSet(in []rng, neg bool) charSet {
	rs := append([]rng(nil), in...)
	for i := range rs {
		if rs[i].lo > rs[i].hi {
			rs[i].lo, rs[i].hi = rs[i].hi, rs[i].lo
		}
	}
	sortRanges(rs)
	var merged []rng
	for _, r := range rs {
		if n := len(merged); n > 0 && r.lo <= merged[n-1].hi+1 {
			merged[n-1].hi = max(merged[n-1].hi, r.hi)
			continue
		}
		merged = append(merged, r)
	}
	if neg {
		var out []rng
		next := rune(0)
		for _, r := range merged {
			if r.lo > next {
				out = append(out, rng{next, r.lo - 1})
			}
			next = r.hi + 1
		}
		if next <= utf8.MaxRune {
			out = append(out, rng{next, utf8.MaxRune})
		}
		merged = out
	}
	s := charSet{ranges: merged}
	for _, r := range merged {
		for c := r.lo; c <= r.hi && c < 128; c++ {
			s.ascii[c>>6] |= 1 << (c & 63)
		}
	}
	return s
}

func sortRanges(rs []rng) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && (rs[j].lo < rs[j-1].lo || rs[j].lo == rs[j-1].lo && rs[j].hi < rs[j-1].hi); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// Grammar is a parsed, checked grammar. It is immutable and safe for
// concurrent use; matching state lives in a [Matcher].
type Grammar struct {
	names []string  // rule names (synthetic rules get name-N)
	alts  [][]int32 // per rule: start index in elems of each alternative
	elems []elem    // every alternative, each ended by elemEnd; elems[0:2] is the start symbol
	sets  []charSet
	root  int

	ruleMin []int // fewest bytes a rule derives (inf when none)
	sufMin  []int // per element index: fewest bytes from there to its alternative's end
}

// inf is "no finite derivation" in byte counts.
const inf = 1 << 30

// Rules returns the number of rules, synthetic ones (from groups and
// repetitions) included.
func (g *Grammar) Rules() int { return len(g.names) }

// String renders the compiled grammar as GBNF, one rule a line (synthetic
// rules included), for debugging.
func (g *Grammar) String() string {
	var b strings.Builder
	for r, name := range g.names {
		fmt.Fprintf(&b, "%s ::=", name)
		for i, a := range g.alts[r] {
			if i > 0 {
				b.WriteString(" |")
			}
			for p := a; g.elems[p].kind != elemEnd; p++ {
				e := g.elems[p]
				if e.kind == elemRef {
					b.WriteString(" " + g.names[e.arg])
				} else {
					b.WriteString(" " + g.sets[e.arg].gbnf())
				}
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// gbnf renders the set as a GBNF character class.
func (s *charSet) gbnf() string {
	if len(s.ranges) == 1 && s.ranges[0].lo == s.ranges[0].hi {
		return `"` + escapeRune(s.ranges[0].lo, '"') + `"`
	}
	var b strings.Builder
	b.WriteString("[")
	for _, r := range s.ranges {
		b.WriteString(escapeRune(r.lo, ']'))
		if r.hi != r.lo {
			b.WriteString("-" + escapeRune(r.hi, ']'))
		}
	}
	b.WriteString("]")
	return b.String()
}

// escapeRune writes c for a GBNF literal (quote '"') or class (quote ']').
func escapeRune(c rune, quote rune) string {
	switch {
	case c == '\\' || c == quote || (quote == ']' && (c == '[' || c == '-' || c == '^')):
		return `\` + string(c)
	case c == '\n':
		return `\n`
	case c == '\r':
		return `\r`
	case c == '\t':
		return `\t`
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf(`\x%02X`, c)
	case c >= 0xD800 && c <= 0xDFFF || c > utf8.MaxRune:
		return fmt.Sprintf(`\U%08X`, c)
	case c > 0xFFFF && !utf8.ValidRune(c):
		return fmt.Sprintf(`\U%08X`, c)
	}
	return string(c)
}

// finish computes the tables the matcher needs and rejects left recursion.
func (g *Grammar) finish() error {
	n := len(g.names)
	// Fewest bytes per rule: a fixpoint from "infinite".
	g.ruleMin = make([]int, n)
	for i := range g.ruleMin {
		g.ruleMin[i] = inf
	}
	altMin := func(p int32) int {
		total := 0
		for ; g.elems[p].kind != elemEnd; p++ {
			total += g.elemMin(g.elems[p])
			if total >= inf {
				return inf
			}
		}
		return total
	}
	for changed := true; changed; {
		changed = false
		for r := range n {
			for _, a := range g.alts[r] {
				if m := altMin(a); m < g.ruleMin[r] {
					g.ruleMin[r] = m
					changed = true
				}
			}
		}
	}
	g.sufMin = make([]int, len(g.elems))
	for p := len(g.elems) - 1; p >= 0; p-- {
		e := g.elems[p]
		if e.kind == elemEnd {
			g.sufMin[p] = 0
			continue
		}
		g.sufMin[p] = min(inf, g.elemMin(e)+g.sufMin[p+1])
	}
	// Left recursion: rule A can begin with rule B when B is reached
	// through a prefix of nullable symbols.
	nullable := make([]bool, n)
	for r := range n {
		nullable[r] = g.ruleMin[r] == 0
	}
	first := make([][]int32, n)
	for r := range n {
		for _, a := range g.alts[r] {
			for p := a; g.elems[p].kind != elemEnd; p++ {
				e := g.elems[p]
				if e.kind != elemRef {
					break
				}
				first[r] = append(first[r], e.arg)
				if !nullable[e.arg] {
					break
				}
			}
		}
	}
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, n)
	var path []int32
	var visit func(r int32) error
	visit = func(r int32) error {
		color[r] = grey
		path = append(path, r)
		for _, s := range first[r] {
			switch color[s] {
			case grey:
				var cyc []string
				for i := len(path) - 1; i >= 0; i-- {
					cyc = append([]string{g.names[path[i]]}, cyc...)
					if path[i] == s {
						break
					}
				}
				cyc = append(cyc, g.names[s])
				return fmt.Errorf("grammar: left recursion: %s", strings.Join(cyc, " -> "))
			case white:
				if err := visit(s); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		color[r] = black
		return nil
	}
	for r := range n {
		if color[r] == white {
			if err := visit(int32(r)); err != nil {
				return err
			}
		}
	}
	if g.ruleMin[g.root] >= inf {
		return fmt.Errorf("grammar: rule %s derives no finite text", g.names[g.root])
	}
	return nil
}

// elemMin is the fewest bytes element e matches.
func (g *Grammar) elemMin(e elem) int {
	if e.kind == elemRef {
		return g.ruleMin[e.arg]
	}
	rs := g.sets[e.arg].ranges
	if len(rs) == 0 {
		return inf
	}
	l := utf8.RuneLen(rs[0].lo)
	if l < 0 {
		l = 3
	}
	return l
}

// Match reports whether text, in full, is a sentence of the grammar.
func (g *Grammar) Match(text []byte) bool {
	a := newAutomaton(g)
	s := a.start
	for _, b := range text {
		if s = a.next(s, b); s < 0 {
			return false
		}
	}
	return a.states[s].accept
}

// MatchPrefix reports whether text is a prefix of some sentence of the
// grammar (text that a matcher would accept so far).
func (g *Grammar) MatchPrefix(text []byte) bool {
	a := newAutomaton(g)
	s := a.start
	for _, b := range text {
		if s = a.next(s, b); s < 0 {
			return false
		}
	}
	return true
}
