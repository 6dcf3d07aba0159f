// Package bpe is the merge loop of byte-pair encoding (Sennrich et al. 2016):
// given a word as a sequence of symbol ids and a table of pair merges, merge
// the adjacent pair of lowest rank, leftmost first on ties, until no pair in
// the table is left.
//
// Every BPE flavour in the project is this loop with a different table:
// HF tokenizer.json merges (rank = line of the merges list), llama.cpp's
// SentencePiece-style BPE (rank from the merged piece's score), GGUF gpt2
// vocabularies. tiktoken's rank-of-the-concatenation rule is the same loop
// too, but tokenizer/tiktoken runs it over byte ranges for speed.
//
// Short words use a quadratic scan, which is fastest for the few symbols
// a pre-tokenized word has; long inputs (SentencePiece text with no
// pre-tokenizer) use a heap, so merging stays O(n log n).
package bpe

// Merge is what an adjacent pair turns into.
type Merge struct {
	// Rank orders merges: lower ranks merge first.
	Rank int32
	// ID is the symbol the pair becomes.
	ID int32
}

// Merges is a table of pair merges. Build it with Add, then share it between
// goroutines read-only.
type Merges struct {
	m map[uint64]Merge
}

// NewMerges returns an empty table with room for n merges.
func NewMerges(n int) *Merges { return &Merges{m: make(map[uint64]Merge, n)} }

func key(a, b int) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// Add records that the pair (a, b) merges into id with the given rank. A pair
// added twice keeps its lower rank, as llama.cpp's bpe_ranks.emplace does
// (the first of duplicated merges wins); see Set for HF's rule.
func (m *Merges) Add(a, b, rank, id int) {
	k := key(a, b)
	if old, ok := m.m[k]; ok && old.Rank <= int32(rank) {
		return
	}
	m.m[k] = Merge{Rank: int32(rank), ID: int32(id)}
}

// Set records that the pair (a, b) merges into id with the given rank,
// replacing any earlier entry for the pair: the rule of HF tokenizers, whose
// merge map is built by inserting the merges in order, so a duplicated merge
// keeps its last rank.
func (m *Merges) Set(a, b, rank, id int) {
	m.m[key(a, b)] = Merge{Rank: int32(rank), ID: int32(id)}
}

// Len is the number of merges in the table.
func (m *Merges) Len() int { return len(m.m) }

// Lookup returns the merge of the pair (a, b).
func (m *Merges) Lookup(a, b int) (Merge, bool) {
	mg, ok := m.m[key(a, b)]
	return mg, ok
}

// heapThreshold is the word length above which Apply switches from the
// quadratic scan to the heap.
const heapThreshold = 48

// Apply merges syms in place and returns the merged prefix of syms.
func (m *Merges) Apply(syms []int) []int {
	if len(syms) < 2 {
		return syms
	}
	if len(syms) > heapThreshold {
		return m.applyHeap(syms)
	}
	return m.applyScan(syms)
}

const noRank = int32(1<<31 - 1)

// applyScan is the quadratic algorithm: keep the rank of every adjacent pair,
// find the lowest, merge, refresh its two neighbours.
func (m *Merges) applyScan(syms []int) []int {
	var buf [heapThreshold]int32
	ranks := buf[:len(syms)-1]
	for i := range ranks {
		ranks[i] = m.rank(syms[i], syms[i+1])
	}
	for {
		best, at := noRank, -1
		for i, r := range ranks {
			if r < best {
				best, at = r, i
			}
		}
		if at < 0 {
			return syms
		}
		mg := m.m[key(syms[at], syms[at+1])]
		syms[at] = int(mg.ID)
		copy(syms[at+1:], syms[at+2:])
		syms = syms[:len(syms)-1]
		copy(ranks[at:], ranks[at+1:])
		ranks = ranks[:len(ranks)-1]
		if at > 0 {
			ranks[at-1] = m.rank(syms[at-1], syms[at])
		}
		if at < len(ranks) {
			ranks[at] = m.rank(syms[at], syms[at+1])
		}
	}
}

func (m *Merges) rank(a, b int) int32 {
	if mg, ok := m.m[key(a, b)]; ok {
		return mg.Rank
	}
	return noRank
}

// candHeap is a binary min-heap of waiting pairs. Each entry packs the
// pair's rank (high 32 bits) and the position of its left symbol (low 32
// bits) into one uint64, so the heap order (rank, then leftmost) is a plain
// integer comparison and entries stay small; this matters on long inputs,
// where the heap no longer fits in cache.
type candHeap []uint64

func (h *candHeap) push(c uint64) {
	*h = append(*h, c)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[i] >= q[p] {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *candHeap) pop() uint64 {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r] < q[l] {
			m = r
		}
		if q[m] >= q[i] {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// applyHeap is the O(n log n) algorithm over a doubly linked list.
//
// A heap entry goes stale when one of its symbols is merged into a
// neighbour. Instead of remembering the pair's ids, a popped entry is checked
// against the pair now at its position: it is still valid when that pair
// merges with the same rank. (If a different pair now sits there with the
// very same rank, merging it is exactly what the algorithm would do next
// anyway: same rank, same position.)
func (m *Merges) applyHeap(syms []int) []int {
	n := len(syms)
	prev := make([]int32, n)
	next := make([]int32, n)
	for i := range syms {
		prev[i], next[i] = int32(i-1), int32(i+1)
	}
	next[n-1] = -1
	h := make(candHeap, 0, n)
	push := func(l, r int32) {
		if mg, ok := m.m[key(syms[l], syms[r])]; ok {
			h.push(uint64(uint32(mg.Rank))<<32 | uint64(uint32(l)))
		}
	}
	for i := 0; i+1 < n; i++ {
		push(int32(i), int32(i+1))
	}
	const dead = -2 // next[] of a symbol merged into its left neighbour
	for len(h) > 0 {
		c := h.pop()
		left, rank := int32(uint32(c)), int32(c>>32)
		right := next[left]
		if right < 0 {
			continue // dead, or the last symbol: the entry is stale
		}
		mg, ok := m.m[key(syms[left], syms[right])]
		if !ok || mg.Rank != rank {
			continue // stale: a neighbour was merged since this was queued
		}
		syms[left] = int(mg.ID)
		nr := next[right]
		next[right] = dead
		next[left] = nr
		if nr >= 0 {
			prev[nr] = left
		}
		if p := prev[left]; p >= 0 {
			push(p, left)
		}
		if nr >= 0 {
			push(left, nr)
		}
	}
	out := syms[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, syms[i])
	}
	return out
}
