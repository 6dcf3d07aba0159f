package grammar

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Matcher enforces a grammar on generated tokens. Call Mask before sampling
// each token and Accept with the token chosen. A Matcher is not safe for
// concurrent use, but clones (for beams) may be used from different
// goroutines: they share the vocabulary trie and the automaton, guarded by a
// mutex.
//
// Its method set includes Mask(logits []float32) and Accept(id int) error,
// the constraint interface of package sample.
type Matcher struct {
	e     *engine
	state int32
	ended bool // an end-of-generation token was accepted
	count int  // tokens accepted
	max   int  // token budget; 0: none
}

// engine is what clones of a Matcher share.
type engine struct {
	mu    sync.Mutex
	a     *automaton
	vocab [][]byte
	nv    int
	eog   []uint64 // bitset of end-of-generation ids
	eogs  []int
	trie  *trie

	budget map[[2]int32][]uint64 // (state, byte limit) → mask
}

// trie is the vocabulary as a byte trie laid out in preorder: node i is
// entered by byte b[i] from its parent at depth depth[i]-1, its subtree is
// nodes [i, i+size[i]), and the ids that end at it are toks[t0[i]:t0[i+1]].
// A walk is one pass over the arrays that jumps over dead subtrees.
type trie struct {
	b     []byte
	depth []uint16
	size  []int32
	t0    []int32 // len(nodes)+1
	toks  []int32
	maxD  int
}

// Vocabulary is a vocabulary prepared for matching: its byte trie and
// end-of-generation ids. Build it once per model and make matchers for
// many grammars from it; it is immutable and safe for concurrent use.
type Vocabulary struct {
	vocab [][]byte
	eog   []uint64
	eogs  []int
	trie  trie
}

// NewVocabulary prepares a vocabulary: vocab[id] holds the bytes id decodes
// to in the middle of a text (see tokenizer.TokenByter); an empty entry is a
// control token, never allowed. The ids in eog end generation: they are
// allowed exactly when the text so far is a full match.
func NewVocabulary(vocab [][]byte, eog []int) (*Vocabulary, error) {
	nv := len(vocab)
	v := &Vocabulary{vocab: vocab, eog: make([]uint64, (nv+63)/64)}
	for _, id := range eog {
		if id < 0 || id >= nv {
			return nil, fmt.Errorf("grammar: end-of-generation id %d outside the vocabulary of %d", id, nv)
		}
		v.eog[id/64] |= 1 << (id % 64)
		v.eogs = append(v.eogs, id)
	}
	v.trie = buildTrie(vocab, v.eog)
	return v, nil
}

// Matcher returns a matcher for grammar g at its start.
func (v *Vocabulary) Matcher(g *Grammar) (*Matcher, error) {
	if g == nil {
		return nil, fmt.Errorf("grammar: nil grammar")
	}
	e := &engine{a: newAutomaton(g), vocab: v.vocab, nv: len(v.vocab), eog: v.eog, eogs: v.eogs, trie: &v.trie, budget: map[[2]int32][]uint64{}}
	return &Matcher{e: e, state: e.a.start}, nil
}

// NewMatcher is NewVocabulary(vocab, eog) followed by Matcher(g). Callers
// that match several grammars against one vocabulary should keep the
// Vocabulary instead: building its trie is most of NewMatcher's cost.
func NewMatcher(g *Grammar, vocab [][]byte, eog []int) (*Matcher, error) {
	v, err := NewVocabulary(vocab, eog)
	if err != nil {
		return nil, err
	}
	return v.Matcher(g)
}

func (e *engine) isEOG(id int) bool { return e.eog[id/64]&(1<<(id%64)) != 0 }

// maxTokenLen bounds the bytes of one token (deeper trie levels would not
// fit the depth field).
const maxTokenLen = 1 << 15

// buildTrie builds the trie of every non-empty, non-EOG entry.
func buildTrie(vocab [][]byte, eog []uint64) trie {
	ids := make([]int32, 0, len(vocab))
	for id, b := range vocab {
		if len(b) > 0 && len(b) < maxTokenLen && eog[id/64]&(1<<(id%64)) == 0 {
			ids = append(ids, int32(id))
		}
	}
	slices.SortFunc(ids, func(x, y int32) int {
		if c := bytes.Compare(vocab[x], vocab[y]); c != 0 {
			return c
		}
		return int(x - y)
	})
	var t trie
	// build appends the node for ids (all sharing their first depth bytes,
	// entered by byte b) and its subtree in preorder.
	var build func(ids []int32, depth int, b byte)
	build = func(ids []int32, depth int, b byte) {
		n := len(t.b)
		t.b = append(t.b, b)
		t.depth = append(t.depth, uint16(depth))
		t.size = append(t.size, 0)
		t.t0 = append(t.t0, int32(len(t.toks)))
		t.maxD = max(t.maxD, depth)
		i := 0
		for i < len(ids) && len(vocab[ids[i]]) == depth {
			t.toks = append(t.toks, ids[i])
			i++
		}
		for i < len(ids) {
			c := vocab[ids[i]][depth]
			j := i
			for j < len(ids) && vocab[ids[j]][depth] == c {
				j++
			}
			build(ids[i:j], depth+1, c)
			i = j
		}
		t.size[n] = int32(len(t.b) - n)
	}
	build(ids, 0, 0)
	t.t0 = append(t.t0, int32(len(t.toks)))
	return t
}

// Clone returns an independent copy of the matcher's position (for beam
// search); the copy shares the vocabulary trie and automaton.
func (m *Matcher) Clone() *Matcher {
	c := *m
	return &c
}

// SetMaxTokens gives the matcher the caller's token budget: the most tokens
// that will be generated, counting those already accepted. From then on Mask
// allows only tokens after which the grammar can still be completed within
// the budget (one token per byte), so output cut at the budget is a full
// match. n <= 0 removes the budget.
func (m *Matcher) SetMaxTokens(n int) { m.max = max(n, 0) }

// Done reports whether the output is complete: an end-of-generation token
// was accepted, or the text is a full match that no further text can extend.
func (m *Matcher) Done() bool {
	if m.ended {
		return true
	}
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	return m.e.a.states[m.state].final
}

// CanEnd reports whether the text so far is a full match (an
// end-of-generation token would be allowed).
func (m *Matcher) CanEnd() bool {
	if m.ended {
		return true
	}
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	return m.e.a.states[m.state].accept
}

// MinBytes is the fewest bytes that complete a full match from here.
func (m *Matcher) MinBytes() int {
	if m.ended {
		return 0
	}
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	return m.e.a.minBytes(m.state)
}

// Accept advances the matcher by token id. It is an error, and the matcher
// is unchanged, when the grammar does not allow id next. (Accept checks the
// grammar only: a token that the budget filter of SetMaxTokens masked, but
// the grammar allows, is accepted.)
func (m *Matcher) Accept(id int) error {
	e := m.e
	if id < 0 || id >= e.nv {
		return fmt.Errorf("grammar: token %d outside the vocabulary of %d", id, e.nv)
	}
	if m.ended {
		return fmt.Errorf("grammar: token %d after the end-of-generation token", id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.isEOG(id) {
		if !e.a.states[m.state].accept {
			return fmt.Errorf("grammar: end-of-generation token %d before the grammar is complete", id)
		}
		m.ended = true
		m.count++
		return nil
	}
	b := e.vocab[id]
	if len(b) == 0 {
		return fmt.Errorf("grammar: control token %d is not text and never matches", id)
	}
	s := m.state
	for i, c := range b {
		if s = e.a.next(s, c); s < 0 {
			return fmt.Errorf("grammar: token %d %q does not match the grammar here (byte %d)", id, b, i)
		}
	}
	m.state = s
	m.count++
	return nil
}

// Allowed reports whether token id may come next (what Mask computes for
// every id at once).
func (m *Matcher) Allowed(id int) bool {
	mask := m.mask()
	return id >= 0 && id < m.e.nv && mask[id/64]&(1<<(id%64)) != 0
}

// Mask sets to -Inf the logits of every id that may not come next; ids at or
// beyond the vocabulary size are masked too. After an end-of-generation
// token every id is masked.
func (m *Matcher) Mask(logits []float32) {
	mask := m.mask()
	ninf := float32(math.Inf(-1))
	n := min(len(logits), m.e.nv)
	for w := 0; w*64 < n; w++ {
		bits := mask[w]
		if bits == ^uint64(0) {
			continue
		}
		end := min(n, w*64+64)
		if bits == 0 {
			for i := w * 64; i < end; i++ {
				logits[i] = ninf
			}
			continue
		}
		for i := w * 64; i < end; i++ {
			if bits&(1<<(i-w*64)) == 0 {
				logits[i] = ninf
			}
		}
	}
	for i := n; i < len(logits); i++ {
		logits[i] = ninf
	}
}

// mask returns the bitset of allowed ids at the matcher's position.
func (m *Matcher) mask() []uint64 {
	e := m.e
	if m.ended {
		return make([]uint64, len(e.eog)) // nothing follows end of generation
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.a.states[m.state]
	if st.mask == nil {
		st.mask, st.maxAfter = e.walk(m.state, inf)
	}
	if m.max == 0 {
		return st.mask
	}
	limit := m.max - m.count - 1 // tokens left after the next one
	if limit < 0 {
		if st.accept {
			return e.eog
		}
		return st.mask
	}
	if st.maxAfter <= limit {
		return st.mask
	}
	k := [2]int32{m.state, int32(limit)}
	if b, ok := e.budget[k]; ok {
		return b
	}
	b, _ := e.walk(m.state, limit)
	if !st.accept && isZero(b) {
		b = st.mask // no token keeps a completion within reach: fall back
	}
	if len(e.budget) > 1<<12 {
		clear(e.budget)
	}
	e.budget[k] = b
	return b
}

func isZero(b []uint64) bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// walk computes the allowed ids from state s by one depth-first pass over
// the trie, keeping only tokens after which at most limit bytes complete the
// grammar. It also returns the largest such byte count among the allowed
// tokens.
func (e *engine) walk(s int32, limit int) ([]uint64, int) {
	a := e.a
	mask := make([]uint64, (e.nv+63)/64)
	maxAfter := 0
	if a.states[s].accept {
		for _, id := range e.eogs {
			mask[id/64] |= 1 << (id % 64)
		}
	}
	t := e.trie
	states := make([]int32, t.maxD+1)
	states[0] = s
	trans := a.trans
	for i, n := 1, len(t.b); i < n; {
		d := t.depth[i]
		ps := states[d-1]
		var ns int32
		if x := trans[int(ps)<<8|int(t.b[i])]; x != 0 { // cached: the common case
			ns = x - 1
		} else {
			ns = a.next(ps, t.b[i])
			trans = a.trans // next may grow the table
		}
		if ns < 0 {
			i += int(t.size[i]) // no token below can match
			continue
		}
		states[d] = ns
		if k0, k1 := t.t0[i], t.t0[i+1]; k1 > k0 {
			mb := a.minBytes(ns)
			if mb <= limit {
				maxAfter = max(maxAfter, mb)
				for _, id := range t.toks[k0:k1] {
					mask[id/64] |= 1 << (id % 64)
				}
			}
		}
		i++
	}
	return mask, maxAfter
}
