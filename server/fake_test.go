package server

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// Fake vocabulary: 0 BOS "<s>", 1 EOS "</s>", 2..27 'a'..'z', 28 ' ',
// 29 '.', 30 '\n', 31 ':'. Encode lowercases.
const fakeVocab = 32

type fakeTok struct{}

func (fakeTok) Encode(text string, opts tokenizer.EncodeOptions) ([]int, error) {
	var ids []int
	if opts.AddSpecial {
		ids = append(ids, 0)
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case r >= 'a' && r <= 'z':
			ids = append(ids, int(r-'a')+2)
		case r == ' ':
			ids = append(ids, 28)
		case r == '.':
			ids = append(ids, 29)
		case r == '\n':
			ids = append(ids, 30)
		case r == ':':
			ids = append(ids, 31)
		default:
			return nil, fmt.Errorf("fakeTok: cannot encode %q", r)
		}
	}
	return ids, nil
}

func (fakeTok) Decode(ids []int, opts tokenizer.DecodeOptions) (string, error) {
	var b strings.Builder
	for i, id := range ids {
		switch {
		case id == 0 || id == 1:
			if !opts.SkipSpecial {
				b.WriteString([]string{"<s>", "</s>"}[id])
			}
		case id >= 2 && id <= 27:
			b.WriteByte(byte('a' + id - 2))
		case id >= 28 && id < fakeVocab:
			b.WriteByte(" .\n:"[id-28])
		default:
			return "", tokenizer.UnknownIDError(id, i, fakeVocab)
		}
	}
	return b.String(), nil
}

func (fakeTok) VocabSize() int { return fakeVocab }
func (fakeTok) Specials() tokenizer.Specials {
	s := tokenizer.NoSpecials()
	s.BOS, s.EOS, s.EOG = 0, 1, []int{1}
	return s
}

// fakeModel's favourite next id follows the alphabet (a→b→…→z→a; anything
// else → a), with smaller logits on every other id so that sampling
// varies; "z" is followed by EOS when eosAfterZ. It implements
// BatchForwarder (recording batch sizes, sleeping delay per step) and
// Embedder.
type fakeModel struct {
	ctx       int
	delay     time.Duration
	eosAfterZ bool
	// noFork: sequences implement neither model.Cloner nor
	// model.Truncater (the server then runs every choice's prompt).
	noFork bool
	// history: the logits of the ids other than the favourite also depend
	// on every id before (so a wrongly reused cache changes sampled text).
	history bool

	mu       sync.Mutex
	batches  []int // sequences per step
	maxBatch int
	rows     int // ids run through ForwardBatch
}

// forwardRows returns the ids run so far.
func (m *fakeModel) forwardRows() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rows
}

func (m *fakeModel) Arch() string       { return "fake" }
func (m *fakeModel) ContextLength() int { return m.ctx }
func (m *fakeModel) VocabSize() int     { return fakeVocab }
func (m *fakeModel) NewSequence(model.SequenceOptions) model.Sequence {
	if m.noFork {
		return &plainSeq{&fakeSeq{m: m}}
	}
	return &fakeSeq{m: m}
}

func (m *fakeModel) logits(ids []int) []float32 {
	last := ids[len(ids)-1]
	h := 0
	if m.history {
		for _, id := range ids {
			h = (h*31 + id) % 11
		}
	}
	out := make([]float32, fakeVocab)
	for j := range out {
		out[j] = float32((j*7+last*3+h)%11) / 4
	}
	out[1] = -5
	next := 2
	if last >= 2 && last < 27 {
		next = last + 1
	}
	if last == 27 && m.eosAfterZ {
		next = 1
	}
	out[next] = 6
	return out
}

func (m *fakeModel) ForwardBatch(seqs []model.Sequence, ids [][]int) ([][]float32, error) {
	m.mu.Lock()
	for _, x := range ids {
		m.rows += len(x)
	}
	m.batches = append(m.batches, len(seqs))
	m.maxBatch = max(m.maxBatch, len(seqs))
	m.mu.Unlock()
	if m.delay > 0 {
		time.Sleep(m.delay)
	}
	for i, s := range seqs {
		if s.Len()+len(ids[i]) > m.ctx {
			return nil, model.ErrContextFull
		}
	}
	out := make([][]float32, len(seqs))
	for i, s := range seqs {
		lg, err := s.Forward(ids[i], false)
		if err != nil {
			return nil, err
		}
		out[i] = lg
	}
	return out, nil
}

func (m *fakeModel) EmbeddingSize() int { return 4 }
func (m *fakeModel) Embed(ids []int) ([]float32, error) {
	v := make([]float32, 4)
	for _, id := range ids {
		v[id%4]++
	}
	return v, nil
}

// fakeSeq is a fake sequence: the ids it holds.
type fakeSeq struct {
	m   *fakeModel
	ids []int
}

// plainSeq is a fakeSeq that cannot fork or truncate.
type plainSeq struct{ s *fakeSeq }

func (p *plainSeq) Len() int                                       { return p.s.Len() }
func (p *plainSeq) Forward(ids []int, all bool) ([]float32, error) { return p.s.Forward(ids, all) }

func (s *fakeSeq) Len() int { return len(s.ids) }
func (s *fakeSeq) Forward(ids []int, all bool) ([]float32, error) {
	if len(s.ids)+len(ids) > s.m.ctx {
		return nil, model.ErrContextFull
	}
	for _, id := range ids {
		if id < 0 || id >= fakeVocab {
			return nil, fmt.Errorf("fake: id %d", id)
		}
	}
	s.ids = append(s.ids, ids...)
	return s.m.logits(s.ids), nil
}

func (s *fakeSeq) Clone() model.Sequence {
	return &fakeSeq{m: s.m, ids: slices.Clone(s.ids)}
}

func (s *fakeSeq) Truncate(n int) error {
	if n < 0 || n > len(s.ids) {
		return fmt.Errorf("fake: truncate to %d of %d", n, len(s.ids))
	}
	s.ids = s.ids[:n:n]
	return nil
}

// KVBytes is 100 bytes a position.
func (s *fakeSeq) KVBytes() int { return 100 * len(s.ids) }
