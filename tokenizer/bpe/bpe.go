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

import "container/heap"

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
// added twice keeps its lower rank, as HF tokenizers do for duplicate merges.
func (m *Merges) Add(a, b, rank, id int) {
	k := key(a, b)
	if old, ok := m.m[k]; ok && old.Rank <= int32(rank) {
		return
	}
	m.m[k] = Merge{Rank: int32(rank), ID: int32(id)}
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

// candidate is a pair waiting in the heap: the symbols at positions left and
// right (linked-list nodes), expected to still hold ids a and b.
type candidate struct {
	rank        int32
	left, right int32
	a, b        int32
}

type candHeap []candidate

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].left < h[j].left
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// applyHeap is the O(n log n) algorithm over a doubly linked list.
func (m *Merges) applyHeap(syms []int) []int {
	n := len(syms)
	prev := make([]int32, n)
	next := make([]int32, n)
	alive := make([]bool, n)
	for i := range syms {
		prev[i], next[i], alive[i] = int32(i-1), int32(i+1), true
	}
	next[n-1] = -1
	h := make(candHeap, 0, n)
	push := func(l, r int32) {
		if l < 0 || r < 0 {
			return
		}
		if mg, ok := m.m[key(syms[l], syms[r])]; ok {
			h = append(h, candidate{rank: mg.Rank, left: l, right: r, a: int32(syms[l]), b: int32(syms[r])})
		}
	}
	for i := 0; i+1 < n; i++ {
		push(int32(i), int32(i+1))
	}
	heap.Init(&h)
	for h.Len() > 0 {
		c := heap.Pop(&h).(candidate)
		if !alive[c.left] || !alive[c.right] || next[c.left] != c.right ||
			int32(syms[c.left]) != c.a || int32(syms[c.right]) != c.b {
			continue // stale: one side was merged since this pair was queued
		}
		mg := m.m[key(int(c.a), int(c.b))]
		syms[c.left] = int(mg.ID)
		alive[c.right] = false
		nr := next[c.right]
		next[c.left] = nr
		if nr >= 0 {
			prev[nr] = c.left
		}
		if p := prev[c.left]; p >= 0 {
			if mg, ok := m.m[key(syms[p], syms[c.left])]; ok {
				heap.Push(&h, candidate{rank: mg.Rank, left: p, right: c.left, a: int32(syms[p]), b: int32(syms[c.left])})
			}
		}
		if nr >= 0 {
			if mg, ok := m.m[key(syms[c.left], syms[nr])]; ok {
				heap.Push(&h, candidate{rank: mg.Rank, left: c.left, right: nr, a: int32(syms[c.left]), b: int32(syms[nr])})
			}
		}
	}
	out := syms[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, syms[i])
	}
	return out
}
