package unigram

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// Piece is one vocabulary entry; its id is its index in the slice given to New.
type Piece struct {
	// Text is the piece's surface (with "▁" for spaces, as stored).
	Text string
	// Score is the piece's log probability; higher is preferred.
	Score float64
}

// Type is a SentencePiece piece type (ModelProto.SentencePiece.Type); the
// values are the protobuf enum values.
type Type uint8

// SentencePiece piece types.
const (
	Normal      Type = 1 // an ordinary piece
	Unknown     Type = 2 // the unk piece
	Control     Type = 3 // <s>, </s> and other control symbols
	UserDefined Type = 4 // always kept whole
	Unused      Type = 5 // never produced
	Byte        Type = 6 // <0xXX> byte-fallback pieces
)

// Options configures a Model.
type Options struct {
	// UnkID is the id of the unknown piece; it must be a valid index.
	UnkID int
	// ByteFallback turns unknown text into <0xXX> byte pieces (UTF-8 bytes)
	// where those pieces exist.
	ByteFallback bool
	// FuseUnk merges consecutive unknown characters into one unk token.
	// HF tokenizers' Unigram always does (its fuse_unk is hard-wired to
	// true), and so does SentencePiece; set it to reproduce them.
	FuseUnk bool
	// Types, when not nil, gives each piece's SentencePiece type (same
	// length as the pieces) and selects SentencePiece semantics (see the
	// package documentation). When nil the model follows HF tokenizers.
	Types []Type
}

// Model is a unigram segmentation model. It is safe for concurrent use.
type Model struct {
	pieces   []Piece
	ids      map[string]int // text -> id; the last of duplicate texts wins, as in HF
	trie     trie
	scores   []float64 // per id: the score used in the search
	scores32 []float32 // SentencePiece flavour: float32 scores
	user     []bool    // SentencePiece flavour: user-defined pieces
	unkID    int
	unk      float64
	unk32    float32
	max32    float32
	byteIDs  [256]int32 // -1 when missing
	spm      bool
	opts     Options
	pool     sync.Pool // *[]node
}

// ErrInvalid is wrapped by the errors New returns.
var ErrInvalid = errors.New("invalid unigram model")

// kUnkPenalty is SentencePiece's penalty of the unknown piece below the
// lowest piece score.
const kUnkPenalty = 10.0

// New builds a Model from pieces (id = index). It fails when there are no
// pieces, when UnkID is out of range, when Types has the wrong length or an
// unknown type, or (SentencePiece flavour) when the unk piece is not of type
// Unknown.
func New(pieces []Piece, opts Options) (*Model, error) {
	if len(pieces) == 0 {
		return nil, fmt.Errorf("unigram: %w: empty vocabulary (at least the unk piece is needed)", ErrInvalid)
	}
	if opts.UnkID < 0 || opts.UnkID >= len(pieces) {
		return nil, fmt.Errorf("unigram: %w: unk id %d outside the vocabulary of %d pieces", ErrInvalid, opts.UnkID, len(pieces))
	}
	spm := opts.Types != nil
	if spm {
		if len(opts.Types) != len(pieces) {
			return nil, fmt.Errorf("unigram: %w: %d types for %d pieces", ErrInvalid, len(opts.Types), len(pieces))
		}
		for i, t := range opts.Types {
			if t < Normal || t > Byte {
				return nil, fmt.Errorf("unigram: %w: piece %d (%q): unknown type %d", ErrInvalid, i, pieces[i].Text, t)
			}
		}
		if opts.Types[opts.UnkID] != Unknown {
			return nil, fmt.Errorf("unigram: %w: unk id %d (%q) has type %d, not Unknown", ErrInvalid, opts.UnkID, pieces[opts.UnkID].Text, opts.Types[opts.UnkID])
		}
	}
	m := &Model{
		pieces: pieces,
		ids:    make(map[string]int, len(pieces)),
		scores: make([]float64, len(pieces)),
		unkID:  opts.UnkID,
		spm:    spm,
		opts:   opts,
	}
	m.opts.Types = nil
	for i, p := range pieces {
		m.ids[p.Text] = i
		m.scores[i] = p.Score
	}
	keys := make([]string, 0, len(pieces))
	if spm {
		m.scores32 = make([]float32, len(pieces))
		m.user = make([]bool, len(pieces))
		// SentencePiece starts from FLT_MAX and FLT_MIN (the smallest
		// positive normal float), so max_score is never below FLT_MIN.
		min32, max32 := float32(math.MaxFloat32), float32(0x1p-126)
		for i, p := range pieces {
			m.scores32[i] = float32(p.Score)
			switch opts.Types[i] {
			case Normal:
				min32 = min(min32, float32(p.Score))
				max32 = max(max32, float32(p.Score))
				keys = append(keys, p.Text)
			case UserDefined:
				m.user[i] = true
				keys = append(keys, p.Text)
			}
		}
		m.max32 = max32
		m.unk32 = min32 - kUnkPenalty
		m.unk = float64(m.unk32)
	} else {
		lowest := math.Inf(1)
		for _, p := range pieces {
			lowest = min(lowest, p.Score)
			keys = append(keys, p.Text)
		}
		m.unk = lowest - kUnkPenalty
	}
	for b := range m.byteIDs {
		m.byteIDs[b] = -1
		if id, ok := m.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteIDs[b] = int32(id)
		}
	}
	m.trie = buildTrie(keys, m.ids)
	return m, nil
}

// Len is the number of pieces.
func (m *Model) Len() int { return len(m.pieces) }

// Token returns the text of piece id.
func (m *Model) Token(id int) (string, bool) {
	if id < 0 || id >= len(m.pieces) {
		return "", false
	}
	return m.pieces[id].Text, true
}

// Score returns the score of piece id.
func (m *Model) Score(id int) (float64, bool) {
	if id < 0 || id >= len(m.pieces) {
		return 0, false
	}
	return m.pieces[id].Score, true
}

// ID returns the id of the piece whose text is text (the last one when
// several pieces share a text).
func (m *Model) ID(text string) (int, bool) {
	id, ok := m.ids[text]
	return id, ok
}

// UnkID returns the id of the unknown piece.
func (m *Model) UnkID() int { return m.unkID }

// Encode appends to dst the ids of the best segmentation of text, which
// should already be normalized and pre-tokenized. An empty text adds nothing.
func (m *Model) Encode(dst []int, text string) []int {
	dst, _ = m.encode(dst, nil, text, 0, false)
	return dst
}

// EncodeOffsets is Encode that also appends, for each id, the byte range of
// text it covers, shifted by base. Byte-fallback pieces of an unknown run all
// cover the whole run (HF); in the SentencePiece flavour only the last byte
// of a character covers it and the others are empty at its start.
func (m *Model) EncodeOffsets(dst []int, offs []tokenizer.Offset, text string, base int) ([]int, []tokenizer.Offset) {
	return m.encode(dst, offs, text, base, true)
}

// node is the best path ending at one byte position.
type node struct {
	score   float64
	score32 float32
	start   int32 // -1: not reached
	id      int32
}

func (m *Model) encode(dst []int, offs []tokenizer.Offset, text string, base int, withOffs bool) ([]int, []tokenizer.Offset) {
	if text == "" {
		return dst, offs
	}
	best := m.viterbi(text)
	defer m.pool.Put(best)
	path := *best

	// Backtrack, collecting (start, end, id) in reverse, then emit forward.
	type span struct{ start, end, id int32 }
	var stack [64]span
	spans := stack[:0]
	for end := int32(len(text)); end > 0; {
		n := path[end]
		if m.opts.FuseUnk && n.id == int32(m.unkID) && len(spans) > 0 && spans[len(spans)-1].id == int32(m.unkID) && spans[len(spans)-1].start == end {
			spans[len(spans)-1].start = n.start
		} else {
			spans = append(spans, span{n.start, end, n.id})
		}
		end = n.start
	}
	for i := len(spans) - 1; i >= 0; i-- {
		s := spans[i]
		id := int(s.id)
		if id == m.unkID {
			dst, offs = m.emitUnknown(dst, offs, text[s.start:s.end], base+int(s.start), withOffs)
			continue
		}
		dst = append(dst, id)
		if withOffs {
			offs = append(offs, tokenizer.Offset{Start: base + int(s.start), End: base + int(s.end)})
		}
	}
	return dst, offs
}

// emitUnknown emits a span the search labelled unknown: HF looks its text up
// again (a fused run may be a piece), then tries byte fallback, then unk.
func (m *Model) emitUnknown(dst []int, offs []tokenizer.Offset, s string, at int, withOffs bool) ([]int, []tokenizer.Offset) {
	whole := tokenizer.Offset{Start: at, End: at + len(s)}
	if m.spm {
		if !m.opts.ByteFallback {
			dst = append(dst, m.unkID)
			if withOffs {
				offs = append(offs, whole)
			}
			return dst, offs
		}
		// SentencePiece: bytes of each character; a missing byte piece is unk.
		for i := 0; i < len(s); {
			_, size := utf8.DecodeRuneInString(s[i:])
			for j := i; j < i+size; j++ {
				id := int(m.byteIDs[s[j]])
				if id < 0 {
					id = m.unkID
				}
				dst = append(dst, id)
				if withOffs {
					o := tokenizer.Offset{Start: at + i, End: at + i}
					if j == i+size-1 {
						o.End = at + i + size
					}
					offs = append(offs, o)
				}
			}
			i += size
		}
		return dst, offs
	}
	if id, ok := m.ids[s]; ok {
		dst = append(dst, id)
		if withOffs {
			offs = append(offs, whole)
		}
		return dst, offs
	}
	if m.opts.ByteFallback {
		all := true
		for i := 0; i < len(s); i++ {
			if m.byteIDs[s[i]] < 0 {
				all = false
				break
			}
		}
		if all {
			for i := 0; i < len(s); i++ {
				dst = append(dst, int(m.byteIDs[s[i]]))
				if withOffs {
					offs = append(offs, whole)
				}
			}
			return dst, offs
		}
	}
	dst = append(dst, m.unkID)
	if withOffs {
		offs = append(offs, whole)
	}
	return dst, offs
}

// viterbi fills the best path ending at each byte position of text.
func (m *Model) viterbi(text string) *[]node {
	p, _ := m.pool.Get().(*[]node)
	if p == nil {
		p = new([]node)
	}
	if cap(*p) < len(text)+1 {
		*p = make([]node, len(text)+1)
	}
	path := (*p)[:len(text)+1]
	*p = path
	for i := range path {
		path[i] = node{start: -1}
	}
	path[0].start = 0
	unkID := int32(m.unkID)
	for start := 0; start < len(text); {
		_, mblen := utf8.DecodeRuneInString(text[start:])
		till, till32 := path[start].score, path[start].score32
		single := false
		// Walk the trie along text[start:].
		t := &m.trie
		cur := int32(0)
		for k := start; k < len(text); k++ {
			cur = t.child(cur, text[k])
			if cur < 0 {
				break
			}
			id := t.nodes[cur].id
			if id < 0 {
				continue
			}
			end := k + 1
			target := &path[end]
			if m.spm {
				var cand float64
				if m.user[id] {
					cand = float64(float32(end-start)*m.max32) - 0.1 + float64(till32)
				} else {
					cand = float64(m.scores32[id]) + float64(till32)
				}
				if target.start < 0 || cand > float64(target.score32) {
					target.score32 = float32(cand)
					target.start = int32(start)
					target.id = id
				}
			} else {
				cand := m.scores[id] + till
				if target.start < 0 || cand > target.score {
					target.score = cand
					target.start = int32(start)
					target.id = id
				}
			}
			if end-start == mblen {
				single = true
			}
		}
		if !single {
			target := &path[start+mblen]
			if m.spm {
				cand := m.unk32 + till32
				if target.start < 0 || cand > target.score32 {
					target.score32 = cand
					target.start = int32(start)
					target.id = unkID
				}
			} else {
				cand := m.unk + till
				if target.start < 0 || cand > target.score {
					target.score = cand
					target.start = int32(start)
					target.id = unkID
				}
			}
		}
		start += mblen
	}
	return p
}

// trie is a byte trie with each node's children stored contiguously and
// sorted by label.
type trie struct {
	nodes  []trieNode
	labels []byte
	next   []int32
	dense  []int32 // 256-entry child tables of nodes with many children
}

type trieNode struct {
	first int32 // index of the first child in labels/next
	n     int32 // number of children
	id    int32 // piece id ending here, or -1
	dense int32 // offset of the node's table in dense, or -1
}

// denseMin is the number of children from which a node gets a direct table.
const denseMin = 16

// child returns the child of node n along byte c, or -1.
func (t *trie) child(n int32, c byte) int32 {
	tn := t.nodes[n]
	if tn.dense >= 0 {
		return t.dense[tn.dense+int32(c)]
	}
	lo, hi := tn.first, tn.first+tn.n
	if tn.n <= 8 {
		for i := lo; i < hi; i++ {
			if t.labels[i] == c {
				return t.next[i]
			}
		}
		return -1
	}
	for lo < hi {
		mid := int32(uint32(lo+hi) >> 1)
		if t.labels[mid] < c {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < tn.first+tn.n && t.labels[lo] == c {
		return t.next[lo]
	}
	return -1
}

// buildTrie builds the trie of keys (empty keys are ignored, as in HF and
// SentencePiece), each ending at the id ids gives its text.
func buildTrie(keys []string, ids map[string]int) trie {
	sorted := make([]string, 0, len(keys))
	for _, k := range keys {
		if k != "" {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	// Drop duplicate texts.
	uniq := sorted[:0]
	for i, k := range sorted {
		if i == 0 || k != sorted[i-1] {
			uniq = append(uniq, k)
		}
	}
	sorted = uniq
	var t trie
	t.nodes = append(t.nodes, trieNode{id: -1})
	type job struct {
		node, lo, hi, depth int32
	}
	queue := []job{{0, 0, int32(len(sorted)), 0}}
	for len(queue) > 0 {
		j := queue[0]
		queue = queue[1:]
		i := j.lo
		if i < j.hi && int32(len(sorted[i])) == j.depth {
			t.nodes[j.node].id = int32(ids[sorted[i]])
			i++
		}
		t.nodes[j.node].first = int32(len(t.labels))
		for i < j.hi {
			c := sorted[i][j.depth]
			k := i + 1
			for k < j.hi && sorted[k][j.depth] == c {
				k++
			}
			child := int32(len(t.nodes))
			t.nodes = append(t.nodes, trieNode{id: -1})
			t.labels = append(t.labels, c)
			t.next = append(t.next, child)
			queue = append(queue, job{child, i, k, j.depth + 1})
			i = k
		}
		t.nodes[j.node].n = int32(len(t.labels)) - t.nodes[j.node].first
	}
	for i := range t.nodes {
		tn := &t.nodes[i]
		tn.dense = -1
		if tn.n < denseMin && i != 0 {
			continue
		}
		tn.dense = int32(len(t.dense))
		for range 256 {
			t.dense = append(t.dense, -1)
		}
		for k := tn.first; k < tn.first+tn.n; k++ {
			t.dense[tn.dense+int32(t.labels[k])] = t.next[k]
		}
	}
	return t
}
