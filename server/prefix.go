package server

import (
	"slices"

	"github.com/llmpipe/llmpipe/model"
)

// minShared is the fewest ids a prompt must share with a cached sequence
// for the scheduler to start from it (fewer saves less than the fork costs).
const minShared = 4

// prefixCache keeps the sequences (KV caches) of recently finished jobs so
// that a new prompt starting with the same ids runs only the rest: a chat's
// next turn re-sends the whole conversation, a shared system prompt is run
// once. It is bounded in sequences and bytes, least recently used out
// first. Only the scheduler's loop uses it.
type prefixCache struct {
	maxSeqs  int
	maxBytes int64 // 0: no byte bound
	entries  []*cacheEntry
	bytes    int64
}

// cacheEntry is one kept sequence and the ids its positions hold.
type cacheEntry struct {
	ids   []int
	seq   model.Sequence
	bytes int64
}

// kvSizer is implemented by sequences that report their KV cache's memory
// (model/llama's Sequence).
type kvSizer interface{ KVBytes() int }

func seqBytes(sq model.Sequence) int64 {
	if k, ok := sq.(kvSizer); ok {
		return int64(k.KVBytes())
	}
	return 0
}

// forkable reports whether sq can be cached and reused: it clones and
// truncates.
func forkable(sq model.Sequence) bool {
	_, c := sq.(model.Cloner)
	_, t := sq.(model.Truncater)
	return c && t
}

// sharedLen is the length of the common prefix of a and b.
func sharedLen(a, b []int) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// lookup returns a sequence holding the longest prefix of prompt that a
// cached sequence holds (never all of prompt: its last id must run to give
// logits) and that prefix's length, or nil and 0. An entry wholly used
// leaves the cache; otherwise the caller gets a clone cut to the shared
// length and the entry stays.
func (c *prefixCache) lookup(prompt []int) (model.Sequence, int) {
	if c == nil || c.maxSeqs <= 0 {
		return nil, 0
	}
	best, bestN := -1, 0
	for i, e := range c.entries {
		if n := min(sharedLen(e.ids, prompt), len(prompt)-1); n > bestN || (n == bestN && best >= 0 && len(e.ids) < len(c.entries[best].ids)) {
			best, bestN = i, n
		}
	}
	if best < 0 || bestN < minShared {
		return nil, 0
	}
	e := c.entries[best]
	if bestN == len(e.ids) {
		c.remove(best) // the new job extends it: the entry would only shadow the job's own
		return e.seq, bestN
	}
	sq := e.seq.(model.Cloner).Clone()
	if err := sq.(model.Truncater).Truncate(bestN); err != nil {
		return nil, 0
	}
	// most recently used last
	c.entries = append(slices.Delete(c.entries, best, best+1), e)
	return sq, bestN
}

// add keeps sq, whose positions hold ids (a sequence larger than the byte
// bound is not kept). Entries whose ids are a prefix of
// ids go (sq serves every prompt they serve); if a kept entry already
// extends ids, sq is dropped. Then the least recently used entries go until
// the bounds hold.
func (c *prefixCache) add(ids []int, sq model.Sequence) {
	if c == nil || c.maxSeqs <= 0 || len(ids) < minShared || sq.Len() != len(ids) || !forkable(sq) {
		return
	}
	size := seqBytes(sq)
	if c.maxBytes > 0 && size > c.maxBytes {
		return // it would only push every other entry out, then itself
	}
	for i := 0; i < len(c.entries); i++ {
		e := c.entries[i]
		switch n := sharedLen(e.ids, ids); {
		case n == len(ids):
			c.entries = append(slices.Delete(c.entries, i, i+1), e)
			return
		case n == len(e.ids):
			c.remove(i)
			i--
		}
	}
	e := &cacheEntry{ids: ids, seq: sq, bytes: size}
	c.entries = append(c.entries, e)
	c.bytes += e.bytes
	for len(c.entries) > c.maxSeqs || (c.maxBytes > 0 && c.bytes > c.maxBytes) {
		c.remove(0)
	}
}

func (c *prefixCache) remove(i int) {
	c.bytes -= c.entries[i].bytes
	c.entries = slices.Delete(c.entries, i, i+1)
}
