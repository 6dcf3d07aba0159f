package wordpiece

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// Options configures a Model. The zero value is BERT's configuration.
type Options struct {
	// UnkToken is the unknown token; "" means "[UNK]".
	UnkToken string
	// ContinuingSubwordPrefix is put in front of every piece after the first
	// of a word; "" means "##" (set EmptyPrefix for a model without one).
	ContinuingSubwordPrefix string
	// MaxInputCharsPerWord is the longest word, in characters, that is
	// segmented; longer words are the unknown token. 0 means 100.
	MaxInputCharsPerWord int
	// EmptyPrefix makes the continuing-subword prefix the empty string
	// (ContinuingSubwordPrefix must then be "").
	EmptyPrefix bool
}

// Model is a WordPiece vocabulary. It is safe for concurrent use.
type Model struct {
	first   map[string]int // pieces that can start a word: the whole vocabulary
	cont    map[string]int // continuation pieces, keyed without the prefix
	maxLen  int            // longest key of first or cont, in bytes
	unkID   int
	maxChar int
	prefix  string
	unk     string
	byID    []string       // id -> token, for dense ids
	known   []bool         // byID[id] is set
	sparse  map[int]string // id -> token, when ids are sparse
}

// ErrInvalid is wrapped by the errors New returns.
var ErrInvalid = errors.New("invalid wordpiece model")

// New builds a Model from a token -> id vocabulary (the map is not kept).
// It fails when the unknown token is not in vocab, or an id is negative.
func New(vocab map[string]int, opts Options) (*Model, error) {
	if opts.UnkToken == "" {
		opts.UnkToken = "[UNK]"
	}
	switch {
	case opts.EmptyPrefix && opts.ContinuingSubwordPrefix != "":
		return nil, fmt.Errorf("wordpiece: %w: EmptyPrefix with continuing-subword prefix %q", ErrInvalid, opts.ContinuingSubwordPrefix)
	case opts.ContinuingSubwordPrefix == "" && !opts.EmptyPrefix:
		opts.ContinuingSubwordPrefix = "##"
	}
	if opts.MaxInputCharsPerWord < 0 {
		return nil, fmt.Errorf("wordpiece: %w: MaxInputCharsPerWord %d is negative", ErrInvalid, opts.MaxInputCharsPerWord)
	}
	if opts.MaxInputCharsPerWord == 0 {
		opts.MaxInputCharsPerWord = 100
	}
	unkID, ok := vocab[opts.UnkToken]
	if !ok {
		return nil, fmt.Errorf("wordpiece: %w: unknown token %q is not in the vocabulary (%d tokens)", ErrInvalid, opts.UnkToken, len(vocab))
	}
	m := &Model{
		first:   make(map[string]int, len(vocab)),
		cont:    make(map[string]int, len(vocab)/4),
		unkID:   unkID,
		maxChar: opts.MaxInputCharsPerWord,
		prefix:  opts.ContinuingSubwordPrefix,
		unk:     opts.UnkToken,
	}
	maxID := -1
	for tok, id := range vocab {
		if id < 0 {
			return nil, fmt.Errorf("wordpiece: %w: token %q has negative id %d", ErrInvalid, tok, id)
		}
		maxID = max(maxID, id)
		m.first[tok] = id
		m.maxLen = max(m.maxLen, len(tok))
		if rest, ok := strings.CutPrefix(tok, m.prefix); ok {
			m.cont[rest] = id
		}
	}
	// id -> token; when several tokens share an id, the smallest wins, so
	// Token is deterministic.
	toks := make([]string, 0, len(vocab))
	for tok := range vocab {
		toks = append(toks, tok)
	}
	sort.Strings(toks)
	if maxID < 2*len(vocab)+1024 {
		m.byID = make([]string, maxID+1)
		m.known = make([]bool, maxID+1)
		for _, tok := range toks {
			if id := vocab[tok]; !m.known[id] {
				m.byID[id], m.known[id] = tok, true
			}
		}
	} else {
		m.sparse = make(map[int]string, len(vocab))
		for _, tok := range toks {
			if _, dup := m.sparse[vocab[tok]]; !dup {
				m.sparse[vocab[tok]] = tok
			}
		}
	}
	return m, nil
}

// Token returns the token of id.
func (m *Model) Token(id int) (string, bool) {
	if m.sparse != nil {
		s, ok := m.sparse[id]
		return s, ok
	}
	if id < 0 || id >= len(m.byID) {
		return "", false
	}
	return m.byID[id], m.known[id]
}

// ID returns the id of token (a continuation piece with its prefix).
func (m *Model) ID(token string) (int, bool) {
	id, ok := m.first[token]
	return id, ok
}

// UnkID returns the id of the unknown token.
func (m *Model) UnkID() int { return m.unkID }

// Encode appends the ids of one pre-tokenized word to dst: its WordPiece
// segmentation, or the unknown token when the word cannot be segmented or
// has more than MaxInputCharsPerWord characters. An empty word adds nothing.
func (m *Model) Encode(dst []int, word string) []int {
	dst, _ = m.encode(dst, nil, word, 0, false)
	return dst
}

// EncodeOffsets is Encode that also appends each token's byte range in word,
// shifted by base. The unknown token covers the whole word.
func (m *Model) EncodeOffsets(dst []int, offs []tokenizer.Offset, word string, base int) ([]int, []tokenizer.Offset) {
	return m.encode(dst, offs, word, base, true)
}

func (m *Model) encode(dst []int, offs []tokenizer.Offset, word string, base int, withOffs bool) ([]int, []tokenizer.Offset) {
	if word == "" {
		return dst, offs
	}
	n0 := len(dst)
	if utf8.RuneCountInString(word) <= m.maxChar {
		for start := 0; start < len(word); {
			table, limit := m.first, m.maxLen
			if start > 0 {
				table, limit = m.cont, m.maxLen-len(m.prefix)
			}
			end := len(word)
			// Ends past the longest token cannot match; skip them a
			// character at a time, as the search would.
			for end-start > limit {
				_, size := utf8.DecodeLastRuneInString(word[start:end])
				end -= size
			}
			found := -1
			for end > start {
				if id, ok := table[word[start:end]]; ok {
					found = id
					break
				}
				_, size := utf8.DecodeLastRuneInString(word[start:end])
				end -= size
			}
			if found < 0 {
				break
			}
			dst = append(dst, found)
			if withOffs {
				offs = append(offs, tokenizer.Offset{Start: base + start, End: base + end})
			}
			start = end
			if start == len(word) {
				return dst, offs
			}
		}
	}
	// Unknown: drop what was found and emit the unknown token for the word.
	if withOffs {
		offs = offs[:len(offs)-(len(dst)-n0)]
		offs = append(offs, tokenizer.Offset{Start: base, End: base + len(word)})
	}
	dst = append(dst[:n0], m.unkID)
	return dst, offs
}
