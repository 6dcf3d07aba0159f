package generate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// countModel is a fake model whose next token is always (last id + 1) mod
// vocab: its logits are one-hot.
type countModel struct{ vocab, ctx int }

func (m countModel) Arch() string       { return "count" }
func (m countModel) ContextLength() int { return m.ctx }
func (m countModel) VocabSize() int     { return m.vocab }
func (m countModel) NewSequence(model.SequenceOptions) model.Sequence {
	return &countSeq{m: m}
}

type countSeq struct {
	m countModel
	n int
}

func (s *countSeq) Len() int { return s.n }
func (s *countSeq) Forward(ids []int, all bool) ([]float32, error) {
	if s.n+len(ids) > s.m.ctx {
		return nil, model.ErrContextFull
	}
	s.n += len(ids)
	out := make([]float32, s.m.vocab)
	out[(ids[len(ids)-1]+1)%s.m.vocab] = 1
	return out, nil
}

// letters is a fake tokenizer: id i is the letter 'a'+i, id 0 is BOS "<s>"
// (added by AddSpecial) and id 5 ('f') is EOS.
type letters struct{}

func (letters) Encode(text string, opts tokenizer.EncodeOptions) ([]int, error) {
	var ids []int
	if opts.AddSpecial {
		ids = append(ids, 0)
	}
	for _, r := range text {
		if r < 'a' || r > 'z' {
			return nil, fmt.Errorf("letters: %q", r)
		}
		ids = append(ids, int(r-'a'))
	}
	return ids, nil
}

func (letters) Decode(ids []int, opts tokenizer.DecodeOptions) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		if id == 0 && opts.SkipSpecial {
			continue
		}
		b.WriteByte(byte('a' + id))
	}
	return b.String(), nil
}

func (letters) VocabSize() int { return 26 }
func (letters) Specials() tokenizer.Specials {
	s := tokenizer.NoSpecials()
	s.BOS, s.EOS, s.EOG = 0, 5, []int{5}
	return s
}

func TestGreedyStops(t *testing.T) {
	ctx := context.Background()
	m := countModel{vocab: 26, ctx: 10}
	cases := []struct {
		name   string
		prompt string
		max    int
		ids    []int
		text   string
		stop   StopReason
	}{
		{name: "eos", prompt: "b", ids: []int{2, 3, 4}, text: "cde", stop: StopEOG},
		{name: "max tokens", prompt: "b", max: 2, ids: []int{2, 3}, text: "cd", stop: StopMaxTokens},
		{name: "context", prompt: "fgh", ids: []int{8, 9, 10, 11, 12, 13, 14}, text: "ijklmno", stop: StopContext},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var streamed strings.Builder
			res, err := Greedy(ctx, m, letters{}, tc.prompt, Options{MaxTokens: tc.max, OnText: func(s string) error {
				streamed.WriteString(s)
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(res.IDs) != fmt.Sprint(tc.ids) || res.Text != tc.text || res.Stop != tc.stop || streamed.String() != tc.text {
				t.Errorf("got ids %v text %q stop %s streamed %q, want %v %q %s", res.IDs, res.Text, res.Stop, streamed.String(), tc.ids, tc.text, tc.stop)
			}
			if res.PromptIDs[0] != 0 {
				t.Errorf("prompt ids %v do not start with BOS", res.PromptIDs)
			}
		})
	}
}

func TestPromptLongerThanContext(t *testing.T) {
	m := countModel{vocab: 26, ctx: 4}
	_, err := Greedy(context.Background(), m, letters{}, "abcd", Options{}) // BOS + 4 = 5 > 4
	if !errors.Is(err, ErrContextExceeded) || !strings.Contains(err.Error(), "5 prompt tokens") {
		t.Fatalf("err = %v, want ErrContextExceeded naming the sizes", err)
	}
	if _, err := Greedy(context.Background(), m, letters{}, "abc", Options{}); err != nil {
		t.Fatalf("a prompt that fills the context exactly: %v", err)
	}
}

func TestCallbackErrorStops(t *testing.T) {
	stop := errors.New("enough")
	_, err := Greedy(context.Background(), countModel{vocab: 26, ctx: 10}, letters{}, "b", Options{OnText: func(string) error { return stop }})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Greedy(ctx, countModel{vocab: 26, ctx: 10}, letters{}, "b", Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}
