package tiktoken

import (
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// smallPiece is the longest piece merged with the quadratic scan over fixed
// arrays; longer pieces use a heap so merging stays O(n log n).
const smallPiece = 96

// appendPiece appends the ids of one pre-token piece: the piece's own rank
// when it is a token, else the result of the BPE merge loop.
//
// The loop is tiktoken's byte_pair_merge: the rank of merging two adjacent
// parts is the rank of their concatenated bytes; the pair of lowest rank
// merges first, the leftmost on ties, until no adjacent pair is a token.
//
// Merged pieces of up to cacheKeyLen bytes go through sc's piece cache.
func (r *Ranks) appendPiece(dst []int, piece string, sc *scratch) []int {
	if rk := r.lookup(piece); rk != noRank {
		return append(dst, int(rk))
	}
	if len(piece) > cacheKeyLen || sc == nil || noPieceCache {
		if len(piece) > smallPiece {
			return r.mergeLarge(dst, piece, nil, 0, sc)
		}
		return r.mergeSmall(dst, piece, nil, 0, sc)
	}
	if sc.cache == nil {
		sc.cache = new(pieceCache)
	}
	ent := &sc.cache[hashBytes(piece)&(cacheSlots-1)]
	if int(ent.klen) == len(piece) && string(ent.key[:ent.klen]) == piece {
		for _, id := range ent.ids[:ent.n] {
			dst = append(dst, int(id))
		}
		return dst
	}
	start := len(dst)
	dst = r.mergeSmall(dst, piece, nil, 0, sc)
	if n := len(dst) - start; n <= cacheIDs {
		ent.klen = uint8(copy(ent.key[:], piece))
		ent.n = uint8(n)
		for i, id := range dst[start:] {
			ent.ids[i] = uint32(id)
		}
	}
	return dst
}

// The piece cache: a direct-mapped table, one per scratch (so per encoding
// call or batch worker, never shared, no locks), from pieces that are not
// tokens to their merged ids. Repeated rare words skip the merge loop.
const (
	cacheSlots  = 4096
	cacheKeyLen = 16
	cacheIDs    = 4
)

type pieceCache [cacheSlots]cacheEntry

type cacheEntry struct {
	key     [cacheKeyLen]byte
	klen, n uint8
	ids     [cacheIDs]uint32
}

// noPieceCache turns the piece cache off (benchmarks compare both).
var noPieceCache = false

// appendPieceOffsets is appendPiece that also appends each id's byte range;
// base is the piece's offset in the input.
func (r *Ranks) appendPieceOffsets(dst []int, offs []tokenizer.Offset, piece string, base int, sc *scratch) ([]int, []tokenizer.Offset) {
	if rk := r.lookup(piece); rk != noRank {
		return append(dst, int(rk)), append(offs, tokenizer.Offset{Start: base, End: base + len(piece)})
	}
	if len(piece) > smallPiece {
		dst = r.mergeLarge(dst, piece, &offs, base, sc)
	} else {
		dst = r.mergeSmall(dst, piece, &offs, base, sc)
	}
	return dst, offs
}

// scratch is the reusable working memory of one encoding call. Each rank
// table pools its own, since the piece cache belongs to one table.
type scratch struct {
	spans []pretok.Span
	small smallScratch
	large largeScratch
	cache *pieceCache
}

func (r *Ranks) getScratch() *scratch {
	if sc, ok := r.pool.Get().(*scratch); ok {
		return sc
	}
	return &scratch{spans: make([]pretok.Span, 0, 1024)}
}

// keepScratch bounds the buffers a pooled scratch keeps (in elements: 4 MiB
// of spans), so one huge input does not pin its working memory.
const keepScratch = 1 << 18

// spanBuf returns an empty span buffer with room for the pieces of n bytes of
// text (about one per 4 bytes), so FindAll does not grow it step by step.
func (sc *scratch) spanBuf(n int) []pretok.Span {
	if need := n/4 + 64; cap(sc.spans) < need {
		sc.spans = make([]pretok.Span, 0, need)
	}
	return sc.spans[:0]
}

func (r *Ranks) putScratch(sc *scratch) {
	if cap(sc.spans) > keepScratch {
		sc.spans = nil
	}
	if cap(sc.large.next) > keepScratch {
		sc.large = largeScratch{}
	}
	r.pool.Put(sc)
}

// smallScratch holds mergeSmall's arrays: part j covers
// piece[pos[j]:pos[j+1]] and is token ids[j]; rk[j] is the rank of joining
// parts j and j+1.
type smallScratch struct {
	pos [smallPiece + 1]int32
	ids [smallPiece]uint32
	rk  [smallPiece]uint32
}

// mergeSmall merges a piece of 2 to smallPiece bytes with fixed arrays.
func (r *Ranks) mergeSmall(dst []int, piece string, offs *[]tokenizer.Offset, base int, sc *scratch) []int {
	if sc == nil {
		sc = new(scratch)
	}
	pos, ids, rk := &sc.small.pos, &sc.small.ids, &sc.small.rk
	n := len(piece)
	for i := 0; i < n; i++ {
		pos[i] = int32(i)
		ids[i] = r.byteRank[piece[i]]
	}
	pos[n] = int32(n)
	for i := 0; i+1 < n; i++ {
		rk[i] = r.pairRank[int(piece[i])<<8|int(piece[i+1])]
	}
	m := n // number of parts
	for m > 1 {
		best, at := noRank, -1
		for j := 0; j+1 < m; j++ {
			if rk[j] < best {
				best, at = rk[j], j
			}
		}
		if at < 0 {
			break
		}
		// Join parts at and at+1.
		ids[at] = best
		copy(pos[at+1:m], pos[at+2:m+1])
		copy(ids[at+1:m-1], ids[at+2:m])
		copy(rk[at+1:m-1], rk[at+2:m])
		m--
		if at+1 < m {
			rk[at] = r.lookup(piece[pos[at]:pos[at+2]])
		} else {
			rk[at] = noRank
		}
		if at > 0 {
			rk[at-1] = r.lookup(piece[pos[at-1]:pos[at+1]])
		}
	}
	for j := 0; j < m; j++ {
		dst = append(dst, int(ids[j]))
	}
	if offs != nil {
		for j := 0; j < m; j++ {
			*offs = append(*offs, tokenizer.Offset{Start: base + int(pos[j]), End: base + int(pos[j+1])})
		}
	}
	return dst
}

// largeScratch is the working memory of mergeLarge.
type largeScratch struct {
	next, prev []int32
	ids, rk    []uint32
	h          pairHeap
}

// mergeLarge is the same loop for long pieces: parts form a linked list keyed
// by their start byte, and candidate joins sit in a min-heap ordered by
// (rank, start). An entry is stale when its part is gone or its rank changed.
func (r *Ranks) mergeLarge(dst []int, piece string, offs *[]tokenizer.Offset, base int, sc *scratch) []int {
	n := len(piece)
	if sc == nil {
		sc = new(scratch)
	}
	s := &sc.large
	s.next = grow(s.next, n)
	s.prev = grow(s.prev, n)
	s.ids = grow(s.ids, n)
	s.rk = grow(s.rk, n)
	s.h = s.h[:0]
	next, prev, ids, rk := s.next, s.prev, s.ids, s.rk
	for i := 0; i < n; i++ {
		next[i] = int32(i + 1)
		prev[i] = int32(i - 1)
		ids[i] = r.byteRank[piece[i]]
		rk[i] = noRank
		if i+1 < n {
			rk[i] = r.pairRank[int(piece[i])<<8|int(piece[i+1])]
			if rk[i] != noRank {
				s.h = append(s.h, pairEntry{rk[i], int32(i)})
			}
		}
	}
	s.h.init()
	for len(s.h) > 0 {
		e := s.h.pop()
		i := e.start
		if rk[i] != e.rank || rk[i] == noRank {
			continue // stale
		}
		j := next[i] // the part being absorbed
		ids[i] = e.rank
		nj := next[j]
		next[i] = nj
		if int(nj) < n {
			prev[nj] = i
		}
		ids[j] = noRank
		rk[j] = noRank
		// Re-rank the joins of i with its new right neighbour and of its left
		// neighbour with i.
		rk[i] = noRank
		if int(nj) < n {
			end := n
			if nn := next[nj]; int(nn) < n {
				end = int(nn)
			}
			rk[i] = r.lookup(piece[i:end])
			if rk[i] != noRank {
				s.h.push(pairEntry{rk[i], i})
			}
		}
		if p := prev[i]; p >= 0 {
			rk[p] = r.lookup(piece[p:nj])
			if rk[p] != noRank {
				s.h.push(pairEntry{rk[p], p})
			}
		}
	}
	for i := int32(0); int(i) < n; i = next[i] {
		dst = append(dst, int(ids[i]))
		if offs != nil {
			*offs = append(*offs, tokenizer.Offset{Start: base + int(i), End: base + int(next[i])})
		}
	}
	return dst
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// pairEntry is a candidate join of the part starting at start with its right
// neighbour.
type pairEntry struct {
	rank  uint32
	start int32
}

// pairHeap is a binary min-heap ordered by (rank, start).
type pairHeap []pairEntry

func (e pairEntry) less(f pairEntry) bool {
	return e.rank < f.rank || (e.rank == f.rank && e.start < f.start)
}

func (h pairHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h pairHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && h[r].less(h[l]) {
			c = r
		}
		if !h[c].less(h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

func (h *pairHeap) push(e pairEntry) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].less(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *pairHeap) pop() pairEntry {
	s := *h
	e := s[0]
	last := len(s) - 1
	s[0] = s[last]
	*h = s[:last]
	(*h).down(0)
	return e
}
