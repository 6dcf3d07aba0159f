package server

import (
	"fmt"
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

	mu       sync.Mutex
	batches  []int // sequences per step
	maxBatch int
}

func (m *fakeModel) Arch() string       { return "fake" }
func (m *fakeModel) ContextLength() int { return m.ctx }
func (m *fakeModel) VocabSize() int     { return fakeVocab }
func (m *fakeModel) NewSequence(model.SequenceOptions) model.Sequence {
	return &fakeSeq{m: m}
}

func (m *fakeModel) logits(last int) []float32 {
	out := make([]float32, fakeVocab)
	for j := range out {
		out[j] = float32((j*7+last*3)%11) / 4
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

type fakeSeq struct {
	m *fakeModel
	n int
}

func (s *fakeSeq) Len() int { return s.n }
func (s *fakeSeq) Forward(ids []int, all bool) ([]float32, error) {
	if s.n+len(ids) > s.m.ctx {
		return nil, model.ErrContextFull
	}
	for _, id := range ids {
		if id < 0 || id >= fakeVocab {
			return nil, fmt.Errorf("fake: id %d", id)
		}
	}
	s.n += len(ids)
	return s.m.logits(ids[len(ids)-1]), nil
}
