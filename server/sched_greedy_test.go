package server

import (
	"sync"
	"testing"

	"github.com/llmpipe/llmpipe/model"
)

// greedyFake is fakeModel with model.GreedyBatchForwarder: the greedy ids
// are each wanted sequence's first argmax, or (lie) the id after it, to
// show that the scheduler takes them.
type greedyFake struct {
	*fakeModel
	lie    bool
	mu     sync.Mutex
	wanted int // sequences whose greedy id was asked for
}

func (g *greedyFake) ForwardBatchGreedy(seqs []model.Sequence, ids [][]int, want []bool) ([][]float32, []int, error) {
	logits, err := g.ForwardBatch(seqs, ids)
	if err != nil {
		return nil, nil, err
	}
	greedy := make([]int, len(seqs))
	for i := range greedy {
		greedy[i] = -1
		if !want[i] {
			continue
		}
		g.mu.Lock()
		g.wanted++
		g.mu.Unlock()
		best := 0
		for j, v := range logits[i] {
			if v > logits[i][best] {
				best = j
			}
		}
		if g.lie {
			best = (best + 1) % len(logits[i])
		}
		greedy[i] = best
	}
	return logits, greedy, nil
}

// TestGreedyFromModel: with a model.GreedyBatchForwarder a greedy request
// gives the same text as without one, its ids come from the model (a model
// that reports other ids changes the text), and a sampled request does
// not ask for greedy ids.
func TestGreedyFromModel(t *testing.T) {
	const greedyReq = `{"prompt":"ab","max_tokens":12,"temperature":0}`
	_, ts := newTest(t, &fakeModel{ctx: 512}, nil)
	want := postOK(t, ts.URL+"/v1/completions", greedyReq).Choices[0].Text

	g := &greedyFake{fakeModel: &fakeModel{ctx: 512}}
	_, ts2 := newTest(t, g.fakeModel, func(c *Config) { c.Model = g })
	if got := postOK(t, ts2.URL+"/v1/completions", greedyReq).Choices[0].Text; got != want {
		t.Fatalf("greedy text with the model's ids %q, want %q", got, want)
	}
	if g.wanted == 0 {
		t.Fatal("the scheduler asked for no greedy id")
	}
	g.wanted = 0
	postOK(t, ts2.URL+"/v1/completions", `{"prompt":"ab","max_tokens":12,"temperature":1,"seed":3}`)
	if g.wanted != 0 {
		t.Fatalf("a sampled request asked for %d greedy ids", g.wanted)
	}

	liar := &greedyFake{fakeModel: &fakeModel{ctx: 512}, lie: true}
	_, ts3 := newTest(t, liar.fakeModel, func(c *Config) { c.Model = liar })
	if got := postOK(t, ts3.URL+"/v1/completions", greedyReq).Choices[0].Text; got == want {
		t.Fatalf("the model's (shifted) greedy ids were not used: text %q", got)
	}
}
