package hf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/bpe"
)

// model turns one pre-token into ids.
type model interface {
	// encode appends the ids of word to dst.
	encode(dst []int, word string) ([]int, error)
	// tokens appends the token strings of word (what HF's Encoding.tokens
	// holds) to dst.
	tokens(dst []string, word string) ([]string, error)
	tokenToID(tok string) (int, bool)
	idToToken(id int) (string, bool)
	// size is one more than the largest id.
	size() int
	// count is the number of vocabulary entries (HF's Model::get_vocab_size).
	count() int
}

// vocabTable is a bidirectional token/id table.
type vocabTable struct {
	ids  map[string]int
	toks []string // id → token ("" for holes)
	has  []bool
}

func newVocabTable(m map[string]int, path string) (vocabTable, error) {
	n := 0
	for tok, id := range m {
		// Real vocabularies are dense; a far-out id would make the
		// id → token table huge.
		if id < 0 || id >= 2*len(m)+1024 {
			return vocabTable{}, errAt(path, "token %q has id %d out of range for %d tokens", tok, id, len(m))
		}
		n = max(n, id+1)
	}
	v := vocabTable{ids: m, toks: make([]string, n), has: make([]bool, n)}
	for tok, id := range m {
		v.toks[id], v.has[id] = tok, true
	}
	return v, nil
}

func (v *vocabTable) tokenToID(tok string) (int, bool) {
	id, ok := v.ids[tok]
	return id, ok
}

func (v *vocabTable) idToToken(id int) (string, bool) {
	if id < 0 || id >= len(v.toks) || !v.has[id] {
		return "", false
	}
	return v.toks[id], true
}

func (v *vocabTable) size() int { return len(v.toks) }

func (v *vocabTable) count() int { return len(v.ids) }

// idsToTokens maps ids to their strings.
func idsToTokens(v *vocabTable, dst []string, ids []int) []string {
	for _, id := range ids {
		s, _ := v.idToToken(id)
		dst = append(dst, s)
	}
	return dst
}

// bpeModel is HF's BPE model.
type bpeModel struct {
	vocabTable
	merges       *bpe.Merges
	unk          int // -1 without unk_token
	prefix       string
	suffix       string
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	byteTok      [256]int // id of "<0xXX>", -1 when absent

	// byteLevel: words arrive as raw bytes and stand for their GPT-2
	// byte-level strings (the ByteLevel pre-tokenizer's mapping is fused
	// into the model).
	byteLevel bool
	byteID    [256]int       // id of the byte-level rune of each byte, -1 when absent
	rawVocab  map[string]int // raw-byte form of every byte-level token

	cache *wordCache
	// scratch pools the fast path's per-call scratches (fastbl.go); set by
	// setByteLevel.
	scratch *sync.Pool
}

// maxCached is the longest word the cache keeps (HF's MAX_LENGTH).
const maxCached = 256

func (m *bpeModel) encode(dst []int, word string) ([]int, error) {
	if word == "" {
		return dst, nil
	}
	if m.ignoreMerges {
		vocab := m.ids
		if m.byteLevel {
			vocab = m.rawVocab
		}
		if id, ok := vocab[word]; ok {
			return append(dst, id), nil
		}
	}
	if len(word) < maxCached {
		if ids, ok := m.cache.get(word); ok {
			return append(dst, ids...), nil
		}
	}
	n0 := len(dst)
	dst = m.merge(dst, word)
	if len(word) < maxCached {
		m.cache.put(word, dst[n0:])
	}
	return dst, nil
}

// merge builds the initial symbols of word and runs the merge loop.
func (m *bpeModel) merge(dst []int, word string) []int {
	n0 := len(dst)
	if m.byteLevel && m.prefix == "" && m.suffix == "" {
		ok := true
		for i := 0; i < len(word); i++ {
			id := m.byteID[word[i]]
			if id < 0 {
				ok = false
				break
			}
			dst = append(dst, id)
		}
		if ok {
			merged := m.merges.Apply(dst[n0:])
			return dst[:n0+len(merged)]
		}
		dst = dst[:n0]
	}
	if m.byteLevel {
		word = bytesToByteLevel(word)
	}
	dst = m.initialSymbols(dst, word)
	merged := m.merges.Apply(dst[n0:])
	return dst[:n0+len(merged)]
}

// initialSymbols is merge_word's first half: one symbol per character, with
// the continuing-subword prefix, end-of-word suffix, byte fallback and
// (fused) unknown tokens.
func (m *bpeModel) initialSymbols(dst []int, w string) []int {
	unkID, unkOpen := 0, false
	var sb strings.Builder
	for i := 0; i < len(w); {
		_, size := utf8.DecodeRuneInString(w[i:])
		end := i + size
		s := w[i:end]
		if (i != 0 && m.prefix != "") || (end == len(w) && m.suffix != "") {
			sb.Reset()
			if i != 0 {
				sb.WriteString(m.prefix)
			}
			sb.WriteString(s)
			if end == len(w) {
				sb.WriteString(m.suffix)
			}
			s = sb.String()
		}
		i = end
		if id, ok := m.ids[s]; ok {
			if unkOpen {
				dst = append(dst, unkID)
				unkOpen = false
			}
			dst = append(dst, id)
			continue
		}
		if m.byteFallback {
			all := true
			for j := 0; j < len(s); j++ {
				if m.byteTok[s[j]] < 0 {
					all = false
					break
				}
			}
			if all {
				for j := 0; j < len(s); j++ {
					dst = append(dst, m.byteTok[s[j]])
				}
				continue
			}
		}
		if m.unk >= 0 {
			if unkOpen && !m.fuseUnk {
				dst = append(dst, unkID)
			}
			unkID, unkOpen = m.unk, true
		}
	}
	if unkOpen {
		dst = append(dst, unkID)
	}
	return dst
}

func (m *bpeModel) tokens(dst []string, word string) ([]string, error) {
	ids, err := m.encode(nil, word)
	if err != nil {
		return dst, err
	}
	return idsToTokens(&m.vocabTable, dst, ids), nil
}

type bpeJSON struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

func strOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func parseBPE(raw json.RawMessage, path string) (*bpeModel, error) {
	var j bpeJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errAt(path, "%v", err)
	}
	if j.Dropout != nil && *j.Dropout != 0 {
		return nil, errAt(path+".dropout", "BPE dropout %v is not supported (want null or 0)", *j.Dropout)
	}
	var vm map[string]int
	if err := json.Unmarshal(j.Vocab, &vm); err != nil || vm == nil {
		return nil, errAt(path+".vocab", "want an object of token: id (%v)", err)
	}
	vt, err := newVocabTable(vm, path+".vocab")
	if err != nil {
		return nil, err
	}
	m := &bpeModel{
		vocabTable:   vt,
		unk:          -1,
		prefix:       strOr(j.ContinuingSubwordPrefix),
		suffix:       strOr(j.EndOfWordSuffix),
		fuseUnk:      j.FuseUnk,
		byteFallback: j.ByteFallback,
		ignoreMerges: j.IgnoreMerges,
		cache:        newWordCache(),
	}
	if j.UnkToken != nil {
		id, ok := vm[*j.UnkToken]
		if !ok {
			return nil, errAt(path+".unk_token", "%q is not in the vocabulary", *j.UnkToken)
		}
		m.unk = id
	}
	for b := 0; b < 256; b++ {
		m.byteTok[b] = -1
		if id, ok := vm[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteTok[b] = id
		}
	}
	pairs, err := parseMerges(j.Merges, path+".merges")
	if err != nil {
		return nil, err
	}
	m.merges = bpe.NewMerges(len(pairs))
	for rank, p := range pairs {
		a, ok := vm[p[0]]
		if !ok {
			return nil, errAt(indexPath(path+".merges", rank), "token %q is not in the vocabulary", p[0])
		}
		b, ok := vm[p[1]]
		if !ok {
			return nil, errAt(indexPath(path+".merges", rank), "token %q is not in the vocabulary", p[1])
		}
		rest := p[1]
		if m.prefix != "" {
			rest = strings.TrimPrefix(rest, m.prefix)
		}
		id, ok := vm[p[0]+rest]
		if !ok {
			return nil, errAt(indexPath(path+".merges", rank), "merged token %q is not in the vocabulary", p[0]+rest)
		}
		m.merges.Set(a, b, rank, id) // a duplicated merge keeps its last rank, as in HF
	}
	return m, nil
}

// parseMerges reads merges as ["a b", ...] or [["a", "b"], ...]. Lines
// starting with "#version" are skipped as HF does.
func parseMerges(raw json.RawMessage, path string) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, errAt(path, "want an array")
	}
	// Fast paths: all strings, or all pairs. The token-by-token decoder
	// below handles anything else and names the bad entry.
	var strs []string
	if json.Unmarshal(raw, &strs) == nil {
		out := make([][2]string, 0, len(strs))
		ok := true
		for _, t := range strs {
			if strings.HasPrefix(t, "#version") {
				continue
			}
			a, b, found := strings.Cut(t, " ")
			if !found || strings.Contains(b, " ") {
				ok = false
				break
			}
			out = append(out, [2]string{a, b})
		}
		if ok {
			return out, nil
		}
	} else {
		var pairs [][2]string
		if json.Unmarshal(raw, &pairs) == nil && bytes.Count(raw, []byte{'['}) >= len(pairs)+1 {
			if validPairs(raw, len(pairs)) {
				return pairs, nil
			}
		}
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if _, err := d.Token(); err != nil {
		return nil, errAt(path, "%v", err)
	}
	var out [][2]string
	for i := 0; d.More(); i++ {
		tok, err := d.Token()
		if err != nil {
			return nil, errAt(indexPath(path, i), "%v", err)
		}
		switch t := tok.(type) {
		case string:
			if strings.HasPrefix(t, "#version") {
				continue
			}
			a, b, ok := strings.Cut(t, " ")
			if !ok || strings.Contains(b, " ") {
				return nil, errAt(indexPath(path, i), "merge %q is not two tokens separated by one space", t)
			}
			out = append(out, [2]string{a, b})
		case json.Delim:
			if t != '[' {
				return nil, errAt(indexPath(path, i), "want a string or a pair of strings")
			}
			var pair []string
			for d.More() {
				e, err := d.Token()
				if err != nil {
					return nil, errAt(indexPath(path, i), "%v", err)
				}
				s, ok := e.(string)
				if !ok {
					return nil, errAt(indexPath(path, i), "want strings, got %v", e)
				}
				pair = append(pair, s)
			}
			if _, err := d.Token(); err != nil {
				return nil, errAt(indexPath(path, i), "%v", err)
			}
			if len(pair) != 2 {
				return nil, errAt(indexPath(path, i), "want a pair, got %d strings", len(pair))
			}
			out = append(out, [2]string{pair[0], pair[1]})
		default:
			return nil, errAt(indexPath(path, i), "want a string or a pair of strings, got %v", tok)
		}
	}
	return out, nil
}

// validPairs reports whether the JSON array raw really holds n two-string
// arrays (Unmarshal into [2]string silently drops extra elements).
func validPairs(raw json.RawMessage, n int) bool {
	var lens [][]string
	if json.Unmarshal(raw, &lens) != nil || len(lens) != n {
		return false
	}
	for _, l := range lens {
		if len(l) != 2 {
			return false
		}
	}
	return true
}

// setByteLevel fuses the ByteLevel pre-tokenizer's mapping into the model.
func (m *bpeModel) setByteLevel() {
	m.byteLevel = true
	m.scratch = new(sync.Pool)
	for b := 0; b < 256; b++ {
		m.byteID[b] = -1
		if id, ok := m.ids[string(tokenizer.ByteToRune(byte(b)))]; ok {
			m.byteID[b] = id
		}
	}
	m.rawVocab = make(map[string]int, len(m.ids))
	for tok, id := range m.ids {
		if raw, ok := tokenizer.ByteLevelToBytes(tok); ok {
			m.rawVocab[string(raw)] = id
		}
	}
}

// wordLevelModel maps each word to its id, or to unk.
type wordLevelModel struct {
	vocabTable
	unk int
	// unkTok is the unk_token text ("" when the vocabulary lacks it).
	unkTok string
}

func (m *wordLevelModel) encode(dst []int, word string) ([]int, error) {
	if word == "" {
		return dst, nil
	}
	if id, ok := m.ids[word]; ok {
		return append(dst, id), nil
	}
	if m.unk < 0 {
		return dst, fmt.Errorf("hf: WordLevel: %q is not in the vocabulary and there is no unk_token", word)
	}
	return append(dst, m.unk), nil
}

func (m *wordLevelModel) tokens(dst []string, word string) ([]string, error) {
	ids, err := m.encode(nil, word)
	return idsToTokens(&m.vocabTable, dst, ids), err
}

func parseWordLevel(raw json.RawMessage, path string) (*wordLevelModel, error) {
	var j struct {
		Vocab    map[string]int `json:"vocab"`
		UnkToken *string        `json:"unk_token"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errAt(path, "%v", err)
	}
	vt, err := newVocabTable(j.Vocab, path+".vocab")
	if err != nil {
		return nil, err
	}
	m := &wordLevelModel{vocabTable: vt, unk: -1}
	if j.UnkToken != nil {
		if id, ok := j.Vocab[*j.UnkToken]; ok {
			m.unk, m.unkTok = id, *j.UnkToken
		}
	}
	return m, nil
}

// wordCache is a bounded, concurrency-safe cache of word → ids, sharded to
// keep lock contention low. A full shard is cleared.
type wordCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

const (
	cacheShards   = 64
	cachePerShard = 4096
)

type cacheShard struct {
	mu sync.RWMutex
	m  map[string][]int
}

func newWordCache() *wordCache {
	return &wordCache{seed: maphash.MakeSeed()}
}

func (c *wordCache) shard(w string) *cacheShard {
	return &c.shards[maphash.String(c.seed, w)%cacheShards]
}

func (c *wordCache) get(w string) ([]int, bool) {
	s := c.shard(w)
	s.mu.RLock()
	ids, ok := s.m[w]
	s.mu.RUnlock()
	return ids, ok
}

func (c *wordCache) put(w string, ids []int) {
	s := c.shard(w)
	cp := append([]int(nil), ids...)
	s.mu.Lock()
	if s.m == nil || len(s.m) >= cachePerShard {
		s.m = make(map[string][]int, 256)
	}
	s.m[strings.Clone(w)] = cp
	s.mu.Unlock()
}

// indexPath is path[i].
func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
