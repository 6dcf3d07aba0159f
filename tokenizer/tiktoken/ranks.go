package tiktoken

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sync"
)

// MaxRank is the largest rank a .tiktoken file may hold. OpenAI's largest
// encoding (o200k_base) stops below 200,000; the limit keeps a hostile file
// from making the loader allocate gigabytes.
const MaxRank = 1<<24 - 1

// maxTokenLen bounds one token's bytes; the longest token in the published
// files is 128 bytes.
const maxTokenLen = 1 << 16

// noRank marks "no such token" in rank tables.
const noRank = ^uint32(0)

// Ranks is a parsed .tiktoken rank table: the mergeable tokens (byte strings)
// and their ranks, which are also their token ids.
//
// A Ranks is read-only once built and safe for concurrent use.
type Ranks struct {
	// arena holds every token's bytes back to back; spans[r] locates rank r's
	// token in it (end == 0 when rank r has no token).
	arena []byte
	spans []span
	count int
	tab   table
	// byteRank[b] is the rank of the one-byte token b, or noRank.
	byteRank [256]uint32
	// pairRank[a<<8|b] is the rank of the two-byte token ab, or noRank.
	pairRank []uint32
	// pool holds *scratch for encoding calls over this table.
	pool sync.Pool
}

type span struct{ off, end uint32 }

// Len is the number of tokens in the table.
func (r *Ranks) Len() int { return r.count }

// MaxRank is the largest rank in the table, or -1 when it is empty.
func (r *Ranks) MaxRank() int { return len(r.spans) - 1 }

// Token returns the bytes of the token with the given rank; ok is false when
// no token has that rank. The slice must not be modified.
func (r *Ranks) Token(rank int) (b []byte, ok bool) {
	if rank < 0 || rank >= len(r.spans) {
		return nil, false
	}
	s := r.spans[rank]
	if s.end == 0 {
		return nil, false
	}
	return r.arena[s.off:s.end:s.end], true
}

// Rank returns the rank of the token b; ok is false when b is not a token.
func (r *Ranks) Rank(b []byte) (rank int, ok bool) {
	x := r.lookup(string(b))
	if x == noRank {
		return 0, false
	}
	return int(x), true
}

// lookup is Rank for the hot path: noRank when b is not a token.
func (r *Ranks) lookup(b string) uint32 {
	switch len(b) {
	case 0:
		return noRank
	case 1:
		return r.byteRank[b[0]]
	case 2:
		return r.pairRank[int(b[0])<<8|int(b[1])]
	}
	return r.tab.get(r, b)
}

// ParseRanks parses the .tiktoken rank file format: one token per line,
// `base64(token bytes) SP rank`, as tiktoken's load_tiktoken_bpe reads it.
// Empty lines are skipped and a trailing CR is allowed. name (usually the
// file's path) prefixes every error, with the 1-based line number.
//
// It rejects bad base64, empty tokens, ranks that are negative, not decimal,
// above [MaxRank] or far beyond the number of lines (rank files are dense),
// and a rank or a token that appears twice.
func ParseRanks(name string, data []byte) (*Ranks, error) {
	lines := bytes.Count(data, []byte{'\n'}) + 1
	// Base64 decodes to at most 3/4 of its text.
	r := &Ranks{arena: make([]byte, 0, len(data)*3/4+16)}
	type entry struct {
		rank     uint32
		off, end uint32
		line     int32
	}
	entries := make([]entry, 0, lines)
	maxRank := -1
	limit := 4*lines + 1024
	if limit > MaxRank {
		limit = MaxRank
	}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			continue
		}
		sp := bytes.IndexByte(line, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("%s:%d: want `base64 rank`, got %q", name, lineNo, clip(line))
		}
		b64, num := line[:sp], line[sp+1:]
		if len(b64) == 0 {
			return nil, fmt.Errorf("%s:%d: empty token", name, lineNo)
		}
		rank, err := parseRank(num)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: rank %q: %v", name, lineNo, clip(num), err)
		}
		if rank > limit {
			return nil, fmt.Errorf("%s:%d: rank %d is too large (limit %d for a file of %d lines)", name, lineNo, rank, limit, lines)
		}
		n := base64.StdEncoding.DecodedLen(len(b64))
		if n > maxTokenLen {
			return nil, fmt.Errorf("%s:%d: token of %d base64 characters is too long", name, lineNo, len(b64))
		}
		off := len(r.arena)
		dst := r.arena[off : off+n]
		got, err := base64.StdEncoding.Decode(dst, b64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: bad base64 %q: %v", name, lineNo, clip(b64), err)
		}
		if got == 0 {
			return nil, fmt.Errorf("%s:%d: empty token", name, lineNo)
		}
		r.arena = r.arena[:off+got]
		entries = append(entries, entry{rank: uint32(rank), off: uint32(off), end: uint32(off + got), line: int32(lineNo)})
		maxRank = max(maxRank, rank)
	}
	r.spans = make([]span, maxRank+1)
	lineOf := make([]int32, maxRank+1)
	for _, e := range entries {
		if l := lineOf[e.rank]; l != 0 {
			return nil, fmt.Errorf("%s:%d: rank %d is already used at line %d", name, e.line, e.rank, l)
		}
		lineOf[e.rank] = e.line
		r.spans[e.rank] = span{e.off, e.end}
	}
	r.count = len(entries)
	if err := r.index(); err != nil {
		var first, second int32
		for _, e := range entries {
			if e.rank == err.a {
				first = e.line
			}
			if e.rank == err.b {
				second = e.line
			}
		}
		if first > second {
			first, second = second, first
		}
		return nil, fmt.Errorf("%s:%d: token %q is already listed at line %d", name, second, clip(r.arena[r.spans[err.a].off:r.spans[err.a].end]), first)
	}
	return r, nil
}

// dupError reports two ranks with the same token bytes.
type dupError struct{ a, b uint32 }

// index builds the lookup tables over the spans.
func (r *Ranks) index() *dupError {
	for i := range r.byteRank {
		r.byteRank[i] = noRank
	}
	r.pairRank = make([]uint32, 1<<16)
	for i := range r.pairRank {
		r.pairRank[i] = noRank
	}
	long := 0
	for rank, s := range r.spans {
		if s.end == 0 {
			continue
		}
		tok := r.arena[s.off:s.end]
		switch len(tok) {
		case 1:
			if old := r.byteRank[tok[0]]; old != noRank {
				return &dupError{old, uint32(rank)}
			}
			r.byteRank[tok[0]] = uint32(rank)
		case 2:
			k := int(tok[0])<<8 | int(tok[1])
			if old := r.pairRank[k]; old != noRank {
				return &dupError{old, uint32(rank)}
			}
			r.pairRank[k] = uint32(rank)
		default:
			long++
		}
	}
	r.tab.init(long)
	for rank, s := range r.spans {
		if s.end-s.off <= 2 {
			continue
		}
		if old, ok := r.tab.put(r, r.arena[s.off:s.end], uint32(rank)); !ok {
			return &dupError{old, uint32(rank)}
		}
	}
	return nil
}

// parseRank parses a non-negative decimal rank.
func parseRank(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("missing")
	}
	if b[0] == '-' {
		return 0, fmt.Errorf("negative")
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a decimal number")
		}
		n = n*10 + int(c-'0')
		if n > MaxRank {
			return 0, fmt.Errorf("above the limit %d", MaxRank)
		}
	}
	return n, nil
}

// clip shortens b for an error message.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// table is an open-addressing hash table (linear probing, load <= 1/2) from
// byte strings of three or more bytes to ranks. A key of up to 8 bytes is
// stored packed in its slot, so a lookup costs one memory access and no byte
// comparison; a longer key stores its 64-bit hash and a hit is confirmed
// against the token's bytes in the arena.
type table struct {
	slots []slot
	mask  uint64
	shift uint
}

type slot struct {
	key  uint64 // up to 8 bytes: the bytes, little-endian; longer: hashBytes
	rank uint32 // rank + 1; 0 marks an empty slot
	n    uint32 // key length in bytes
}

func (t *table) init(n int) {
	size, lg := 16, uint(4)
	for size < 2*n+16 {
		size <<= 1
		lg++
	}
	t.slots = make([]slot, size)
	t.mask = uint64(size - 1)
	t.shift = 64 - lg
}

// keyOf returns the slot key of b and the start of its probe sequence.
func keyOf[T string | []byte](t *table, b T) (key, i uint64) {
	if len(b) <= 8 {
		for j := len(b) - 1; j >= 0; j-- {
			key = key<<8 | uint64(b[j])
		}
	} else {
		key = hashBytes(b)
	}
	return key, ((key ^ uint64(len(b))) * 0x9E3779B97F4A7C15) >> t.shift
}

// put inserts b with rank; when b is already present it returns the existing
// rank and false.
func (t *table) put(r *Ranks, b []byte, rank uint32) (uint32, bool) {
	key, i := keyOf(t, b)
	for {
		s := &t.slots[i]
		if s.rank == 0 {
			*s = slot{key: key, rank: rank + 1, n: uint32(len(b))}
			return 0, true
		}
		if s.key == key && s.n == uint32(len(b)) {
			old := s.rank - 1
			sp := r.spans[old]
			if bytes.Equal(r.arena[sp.off:sp.end], b) {
				return old, false
			}
		}
		i = (i + 1) & t.mask
	}
}

// get returns the rank of b, or noRank.
func (t *table) get(r *Ranks, b string) uint32 {
	key, i := keyOf(t, b)
	n := uint32(len(b))
	for {
		s := &t.slots[i]
		if s.rank == 0 {
			return noRank
		}
		if s.key == key && s.n == n {
			rank := s.rank - 1
			if n <= 8 {
				return rank
			}
			sp := r.spans[rank]
			if string(r.arena[sp.off:sp.end]) == b {
				return rank
			}
		}
		i = (i + 1) & t.mask
	}
}

// hashBytes is a fast multiplicative hash over 8-byte words (not
// cryptographic; the keys are a fixed vocabulary).
func hashBytes[T string | []byte](b T) uint64 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(len(b)) * m
	for len(b) >= 8 {
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		h = (h ^ w) * m
		h ^= h >> 29
		b = b[8:]
	}
	if len(b) > 0 {
		var w uint64
		for i := 0; i < len(b); i++ {
			w |= uint64(b[i]) << (8 * i)
		}
		h = (h ^ w) * m
		h ^= h >> 29
	}
	h *= m
	return h ^ h>>32
}
