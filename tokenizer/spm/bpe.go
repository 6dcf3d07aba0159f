package spm

import (
	"bytes"
	"unicode/utf8"
)

// The BPE segmentation of sentencepiece's bpe_model.cc (and llama.cpp's
// llm_tokenizer_spm): the symbols start as the characters of the normalized
// text (a user-defined piece is one frozen symbol); repeatedly the adjacent
// pair whose concatenation is a piece with the highest score is merged,
// leftmost on ties, until no pair is a piece. A max-heap of candidate pairs
// over a linked list of symbols keeps this O(n log n) on long inputs.

type symbol struct {
	start, end int32 // byte range in the normalized text
	prev, next int32
	// own is the symbol's id in the normal-piece map, -1 when its text is
	// not a normal piece; id is PieceToId of a merged symbol, -2 until known.
	own, id int32
	freeze  bool
}

type candidate struct {
	score       float32
	left, right int32
	size        int32 // byte length of the merged piece
	own, id     int32 // the merged piece's normal id and PieceToId
}

// before reports whether a is merged before b: higher score, then leftmost.
func before(a, b *candidate) bool {
	return a.score > b.score || (a.score == b.score && a.left < b.left)
}

// state is the per-call scratch space, pooled.
type state struct {
	norm    []byte
	syms    []symbol
	heap    []candidate
	revs    map[string][2]string
	reseg   []segment
	prevUnk bool
}

// segment is one output piece of the model: its text and id.
type segment struct {
	text string
	id   int32
}

func (h *state) push(c candidate) {
	h.heap = append(h.heap, c)
	q := h.heap
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !before(&q[i], &q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *state) pop() candidate {
	q := h.heap
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && before(&q[r], &q[l]) {
			m = r
		}
		if !before(&q[m], &q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	h.heap = q
	return top
}

// pairKey keys the table of merges by the normal ids of the two halves.
func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// maybeAdd queues the pair (left, right) when its concatenation is a piece
// (bpe_model.cc's MaybeAddNewSymbolPair).
func (t *Tokenizer) maybeAdd(st *state, left, right int32) {
	if left < 0 || right < 0 {
		return
	}
	l, r := &st.syms[left], &st.syms[right]
	if l.freeze || r.freeze {
		return
	}
	var info pieceInfo
	if l.own >= 0 && r.own >= 0 {
		var ok bool
		if info, ok = t.pairs[pairKey(l.own, r.own)]; !ok {
			return
		}
	} else {
		var ok bool
		if info, ok = t.normal[string(st.norm[l.start:r.end])]; !ok {
			return
		}
	}
	st.push(candidate{score: info.score, left: left, right: right, size: r.end - l.start, own: info.own, id: info.id})
	if t.hasUnused && t.pieces[info.own].Type == Unused {
		if st.revs == nil {
			st.revs = map[string][2]string{}
		}
		st.revs[string(st.norm[l.start:r.end])] = [2]string{string(st.norm[l.start:l.end]), string(st.norm[r.start:r.end])}
	}
}

// encodeSentence normalizes and segments text and appends its ids to ids
// and, when pieces is not nil, its piece strings to *pieces.
func (t *Tokenizer) encodeSentence(ids []int, pieces *[]string, text string) []int {
	st := t.pool.Get().(*state)
	defer t.pool.Put(st)
	st.norm = t.normalize(st.norm[:0], text)
	st.prevUnk = false
	clear(st.revs)
	norm := st.norm
	if t.uni != nil {
		return t.encodeUnigram(ids, pieces, string(norm))
	}
	if t.noSplitAfter == nil {
		return t.segmentBPE(ids, pieces, st, 0, len(norm))
	}
	// Cut the text where no merge can ever cross: before a space symbol
	// whose previous character never precedes a space symbol inside a piece.
	// Segmenting the stretches one by one gives the same result as
	// segmenting the whole, with small heaps that stay in cache.
	sp := t.splitSep
	from := 0
	for i := 1; i+len(sp) <= len(norm); {
		j := indexSep(norm[i:], sp)
		if j < 0 {
			break
		}
		i += j
		r, _ := utf8.DecodeLastRune(norm[from:i])
		if !t.noSplitAfter[r] && i > from {
			ids = t.segment(ids, pieces, st, from, i)
			from = i
		}
		i += len(sp)
	}
	return t.segment(ids, pieces, st, from, len(norm))
}

func indexSep(b []byte, sep string) int {
	if len(sep) == 1 {
		return bytes.IndexByte(b, sep[0])
	}
	return bytes.Index(b, []byte(sep))
}

// cacheEntry is the output of one stretch of text: its ids and whether
// the first and last are unknown (for fusing runs of unknown pieces
// across stretches).
type cacheEntry struct {
	ids               []int32
	firstUnk, lastUnk bool
}

// Stretches up to maxCached bytes are cached, up to maxCacheEntries of them.
const (
	maxCached       = 64
	maxCacheEntries = 1 << 16
)

// segmentCached is segmentBPE through the word cache.
func (t *Tokenizer) segmentCached(ids []int, st *state, from, to int) []int {
	key := st.norm[from:to]
	t.cacheMu.RLock()
	e, ok := t.cache[string(key)]
	t.cacheMu.RUnlock()
	if ok {
		k := 0
		if st.prevUnk && e.firstUnk && !t.opts.ByteFallback {
			k = 1
		}
		for _, id := range e.ids[k:] {
			ids = append(ids, int(id))
		}
		st.prevUnk = e.lastUnk
		return ids
	}
	start := len(ids)
	prevUnk := st.prevUnk
	st.prevUnk = false
	ids = t.segmentBPE(ids, nil, st, from, to)
	e = cacheEntry{ids: make([]int32, len(ids)-start), lastUnk: st.prevUnk}
	for i, id := range ids[start:] {
		e.ids[i] = int32(id)
	}
	if len(e.ids) > 0 {
		e.firstUnk = t.isUnknown(e.ids[0])
	}
	if prevUnk && e.firstUnk && !t.opts.ByteFallback {
		ids = append(ids[:start], ids[start+1:]...)
	}
	t.cacheMu.Lock()
	if len(t.cache) >= maxCacheEntries {
		clear(t.cache)
	}
	t.cache[string(key)] = e
	t.cacheMu.Unlock()
	return ids
}

// segment segments norm[from:to], through the cache when it can.
func (t *Tokenizer) segment(ids []int, pieces *[]string, st *state, from, to int) []int {
	if pieces == nil && to-from <= maxCached && to > from {
		return t.segmentCached(ids, st, from, to)
	}
	return t.segmentBPE(ids, pieces, st, from, to)
}

// segmentBPE segments norm[from:to] and appends the output.
func (t *Tokenizer) segmentBPE(ids []int, pieces *[]string, st *state, from, to int) []int {
	norm := st.norm
	if from >= to {
		return ids
	}
	st.syms = st.syms[:0]
	st.heap = st.heap[:0]
	for i := from; i < to; {
		n, freeze := 0, false
		if t.user != nil {
			if n = t.user.matchBytes(norm[i:to]); n > 0 {
				freeze = true
			}
		}
		if n == 0 {
			n = oneCharLen(norm[i])
			if n > to-i {
				n = to - i
			}
		}
		own := int32(-1)
		if c := norm[i]; c < 0x80 && n == 1 {
			own = t.ascii[c]
		} else if info, ok := t.normal[string(norm[i:i+n])]; ok {
			own = info.own
		}
		k := int32(len(st.syms))
		st.syms = append(st.syms, symbol{start: int32(i), end: int32(i + n), prev: k - 1, next: k + 1, own: own, id: -2, freeze: freeze})
		i += n
	}
	st.syms[len(st.syms)-1].next = -1
	for i := int32(1); i < int32(len(st.syms)); i++ {
		t.maybeAdd(st, i-1, i)
	}
	for len(st.heap) > 0 {
		c := st.pop()
		l, r := &st.syms[c.left], &st.syms[c.right]
		if l.start == l.end || r.start == r.end || (l.end-l.start)+(r.end-r.start) != c.size {
			continue // stale: one side changed since the pair was queued
		}
		l.end = r.end
		l.own, l.id = c.own, c.id
		l.next = r.next
		if r.next >= 0 {
			st.syms[r.next].prev = c.left
		}
		r.end = r.start
		t.maybeAdd(st, l.prev, c.left)
		t.maybeAdd(st, c.left, l.next)
	}
	prevUnk := st.prevUnk
	for i := int32(0); i >= 0; i = st.syms[i].next {
		s := &st.syms[i]
		w := norm[s.start:s.end]
		id := s.id
		if id == -2 {
			if s.own >= 0 && !t.shadowed {
				id = s.own
			} else {
				id = t.pieceToID(string(w))
			}
		}
		if t.hasUnused && id >= 0 && t.pieces[id].Type == Unused {
			st.reseg = t.resegment(st.reseg[:0], st, string(w))
			for _, sg := range st.reseg {
				ids, prevUnk = t.emit(ids, pieces, sg.text, sg.id, prevUnk)
			}
			continue
		}
		ids, prevUnk = t.emitBytes(ids, pieces, w, id, prevUnk)
	}
	st.prevUnk = prevUnk
	return ids
}

// encodeUnigram segments normalized text with the Unigram model (which
// does byte fallback and unknown fusing itself).
func (t *Tokenizer) encodeUnigram(ids []int, pieces *[]string, norm string) []int {
	if pieces == nil {
		return t.uni.Encode(ids, norm)
	}
	start := len(ids)
	ids, offs := t.uni.EncodeOffsets(ids, nil, norm, 0)
	for i, id := range ids[start:] {
		if t.pieces[id].Type == Byte {
			*pieces = append(*pieces, t.pieces[id].Text)
		} else {
			*pieces = append(*pieces, norm[offs[i].Start:offs[i].End])
		}
	}
	return ids
}

// resegment splits an unused piece back into the pair it was merged from,
// recursively (bpe_model.cc's resegment).
func (t *Tokenizer) resegment(out []segment, st *state, w string) []segment {
	id := t.pieceToID(w)
	if id < 0 || t.pieces[id].Type != Unused {
		return append(out, segment{w, id})
	}
	p, ok := st.revs[w]
	if !ok {
		return append(out, segment{w, id})
	}
	out = t.resegment(out, st, p[0])
	return t.resegment(out, st, p[1])
}

func (t *Tokenizer) emit(ids []int, pieces *[]string, w string, id int32, prevUnk bool) ([]int, bool) {
	return t.emitBytes(ids, pieces, []byte(w), id, prevUnk)
}

// emitBytes appends one model output piece as PopulateSentencePieceText
// does: an unknown piece becomes byte pieces under byte fallback, else runs
// of unknown pieces fuse into one.
func (t *Tokenizer) emitBytes(ids []int, pieces *[]string, w []byte, id int32, prevUnk bool) ([]int, bool) {
	unk := t.isUnknown(id)
	switch {
	case unk && t.opts.ByteFallback:
		for _, b := range w {
			ids = append(ids, int(t.byteID[b]))
			if pieces != nil {
				*pieces = append(*pieces, bytePiece(b))
			}
		}
	case unk && prevUnk:
		if pieces != nil {
			(*pieces)[len(*pieces)-1] += string(w)
		}
	default:
		ids = append(ids, int(id))
		if pieces != nil {
			*pieces = append(*pieces, string(w))
		}
	}
	return ids, unk
}

// oneCharLen is the length of the UTF-8 character led by byte c, as
// SentencePiece's OneCharLen (by the lead byte alone).
func oneCharLen(c byte) int {
	switch {
	case c < 0xC0:
		return 1
	case c < 0xE0:
		return 2
	case c < 0xF0:
		return 3
	}
	return 4
}
