package grammar

import (
	"encoding/binary"
	"slices"
	"unicode/utf8"
)

// snode is one entry of an interned stack: pos is an element index (the
// character class to match when the node is a top, or where to continue
// when it is below the top) and parent the stack beneath. Node 0 is the
// empty stack: the grammar is complete.
type snode struct {
	pos, parent int32
}

// dstate is one state of the lazily built byte automaton: the live stacks
// (sorted node ids) and a partly read UTF-8 character (val holds its bits so
// far, need the continuation bytes still to come).
type dstate struct {
	stacks []int32
	val    rune
	need   uint8
	seqLen uint8 // length of the partly read character's encoding
	accept bool  // the text so far is a full match
	final  bool  // a full match that no byte can extend
	min    int   // fewest bytes to a full match; -1 until computed

	// Matcher caches (see matcher.go).
	mask     []uint64
	maxAfter int // the largest min of a state an allowed token leads to
}

// automaton holds the interned stacks and the automaton states of one
// grammar. It is not safe for concurrent use.
type automaton struct {
	g        *Grammar
	nodes    []snode
	nodeIdx  map[uint64]int32
	succ     [][]int32
	succOK   []bool
	stackMin []int

	states   []*dstate
	stateIdx map[string]int32
	start    int32
	// trans holds the byte transitions, 256 per state: 0 not computed yet,
	// -1 dead, else the next state's id + 1.
	trans []int32

	buf, key []byte
	tmp      []int32
}

func newAutomaton(g *Grammar) *automaton {
	a := &automaton{
		g:        g,
		nodes:    []snode{{pos: -1, parent: -1}},
		nodeIdx:  map[uint64]int32{},
		succ:     [][]int32{nil},
		succOK:   []bool{true},
		stackMin: []int{0},
		stateIdx: map[string]int32{},
	}
	var stacks []int32
	stacks = a.normalize(0, 0, stacks, 0)
	a.start = a.intern(sortUnique(stacks), 0, 0, 0, false)
	return a
}

func (a *automaton) node(pos, parent int32) int32 {
	k := uint64(uint32(pos))<<32 | uint64(uint32(parent))
	if id, ok := a.nodeIdx[k]; ok {
		return id
	}
	id := int32(len(a.nodes))
	a.nodes = append(a.nodes, snode{pos, parent})
	a.succ = append(a.succ, nil)
	a.succOK = append(a.succOK, false)
	m := a.g.sufMin[pos] + a.stackMin[parent]
	a.stackMin = append(a.stackMin, min(m, inf))
	a.nodeIdx[k] = id
	return id
}

// maxDepth bounds normalize's recursion (left recursion is rejected when
// parsing, so this only guards against pathological grammars).
const maxDepth = 10000

// normalize appends to out every stack whose top is a character class (or
// the empty stack) reachable from "continue at pos, then parent" without
// reading a character.
func (a *automaton) normalize(pos, parent int32, out []int32, depth int) []int32 {
	if depth > maxDepth {
		return out
	}
	e := a.g.elems[pos]
	switch e.kind {
	case elemEnd:
		if parent == 0 {
			return append(out, 0)
		}
		p := a.nodes[parent]
		return a.normalize(p.pos, p.parent, out, depth+1)
	case elemChar:
		return append(out, a.node(pos, parent))
	}
	cont := parent
	if a.g.elems[pos+1].kind != elemEnd {
		cont = a.node(pos+1, parent)
	}
	for _, alt := range a.g.alts[e.arg] {
		out = a.normalize(alt, cont, out, depth+1)
	}
	return out
}

// successors is the normalized set of stacks after the top of stack id has
// matched a character.
func (a *automaton) successors(id int32) []int32 {
	if !a.succOK[id] {
		n := a.nodes[id]
		s := sortUnique(a.normalize(n.pos+1, n.parent, nil, 0))
		a.succ[id] = s
		a.succOK[id] = true
	}
	return a.succ[id]
}

func sortUnique(s []int32) []int32 {
	slices.Sort(s)
	return slices.Compact(s)
}

// intern returns the id of the state (stacks, val, need, seqLen), making it
// when new.
func (a *automaton) intern(stacks []int32, val rune, need, seqLen uint8, wild bool) int32 {
	k := a.key[:0]
	k = append(k, need, seqLen)
	if wild {
		// val is left out of the key: any partial value with these
		// stacks behaves alike, and the first one met stands for all.
		k = append(k, 1)
	} else {
		k = binary.LittleEndian.AppendUint32(k, uint32(val))
	}
	for _, s := range stacks {
		k = binary.LittleEndian.AppendUint32(k, uint32(s))
	}
	a.key = k
	if id, ok := a.stateIdx[string(k)]; ok {
		return id
	}
	st := &dstate{stacks: slices.Clone(stacks), val: val, need: need, seqLen: seqLen, min: -1}
	if need == 0 && len(stacks) > 0 && stacks[0] == 0 {
		st.accept = true
		st.final = len(stacks) == 1
	}
	id := int32(len(a.states))
	a.states = append(a.states, st)
	a.trans = append(a.trans, make([]int32, 256)...)
	a.stateIdx[string(k)] = id
	return id
}

// next returns the state after byte b, or -1 when no sentence continues so.
func (a *automaton) next(s int32, b byte) int32 {
	if t := a.trans[int(s)<<8|int(b)]; t != 0 {
		if t < 0 {
			return -1
		}
		return t - 1
	}
	t := a.step(a.states[s], b)
	if t < 0 {
		a.trans[int(s)<<8|int(b)] = -1
	} else {
		a.trans[int(s)<<8|int(b)] = t + 1
	}
	return t
}

func (a *automaton) step(st *dstate, b byte) int32 {
	var val rune
	var need, seqLen uint8
	if st.need == 0 {
		switch {
		case b < 0x80:
			return a.advance(st.stacks, rune(b))
		case b >= 0xC2 && b <= 0xDF:
			val, need = rune(b&0x1F), 1
		case b&0xF0 == 0xE0:
			val, need = rune(b&0x0F), 2
		case b >= 0xF0 && b <= 0xF4:
			val, need = rune(b&0x07), 3
		default:
			return -1
		}
		seqLen = need + 1
	} else {
		if b&0xC0 != 0x80 {
			return -1
		}
		val, need, seqLen = st.val<<6|rune(b&0x3F), st.need-1, st.seqLen
	}
	// The characters these bytes can still become: no overlong forms, no
	// surrogates, nothing above U+10FFFF (UTF-8 as RFC 3629 defines it).
	shift := 6 * uint(need)
	rawLo := val << shift
	rawHi := rawLo | (1<<shift - 1)
	minL := [5]rune{0, 0, 0x80, 0x800, 0x10000}[seqLen]
	lo, hi := max(rawLo, minL), min(rawHi, utf8.MaxRune)
	if lo > hi || lo >= 0xD800 && hi <= 0xDFFF {
		return -1
	}
	if need == 0 {
		return a.advance(st.stacks, val)
	}
	// A partial character: keep the stacks whose class holds some
	// character starting with these bytes.
	keep := a.tmp[:0]
	for _, id := range st.stacks {
		if id == 0 {
			continue
		}
		set := &a.g.sets[a.g.elems[a.nodes[id].pos].arg]
		if set.intersects(lo, hi) {
			keep = append(keep, id)
		}
	}
	a.tmp = keep
	if len(keep) == 0 {
		return -1
	}
	// When every character these bytes can still become is valid UTF-8 and
	// in every kept stack's class, the rest of the character cannot change
	// the outcome: the state does not depend on val (one state instead of
	// one per partial value, thousands in a string with a big vocabulary).
	wild := rawLo == lo && rawHi == hi && (hi < 0xD800 || lo > 0xDFFF)
	for _, id := range keep {
		if !wild {
			break
		}
		wild = a.g.sets[a.g.elems[a.nodes[id].pos].arg].containsRange(lo, hi)
	}
	return a.intern(keep, val, need, seqLen, wild)
}

// advance is the state after the stacks read the character c.
func (a *automaton) advance(stacks []int32, c rune) int32 {
	out := a.tmp[:0]
	for _, id := range stacks {
		if id == 0 {
			continue
		}
		if a.g.sets[a.g.elems[a.nodes[id].pos].arg].contains(c) {
			out = append(out, a.successors(id)...)
		}
	}
	if len(out) == 0 {
		a.tmp = out
		return -1
	}
	out = sortUnique(out)
	a.tmp = out
	return a.intern(out, 0, 0, 0, false)
}

// minBytes is the fewest bytes that complete a full match from state s.
func (a *automaton) minBytes(s int32) int {
	st := a.states[s]
	if st.min >= 0 {
		return st.min
	}
	m := inf
	for _, id := range st.stacks {
		if st.need == 0 {
			m = min(m, a.stackMin[id])
			continue
		}
		n := a.nodes[id]
		m = min(m, int(st.need)+a.g.sufMin[n.pos+1]+a.stackMin[n.parent])
	}
	st.min = m
	return m
}
