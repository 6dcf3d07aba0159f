package llama

import (
	"math"
	"math/rand"
	"testing"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/quant"
)

var _ model.GreedyBatchForwarder = (*Model)(nil)

// TestArgmaxFinite: the first index of the largest element, for lengths
// around the 4-lane loop, with ties (the lowest index wins, in any lane
// and in the tail), -0 = +0, and random values.
func TestArgmaxFinite(t *testing.T) {
	negz := float32(math.Copysign(0, -1))
	cases := []struct {
		v    []float32
		want int
	}{
		{nil, -1},
		{[]float32{3}, 0},
		{[]float32{1, 2, 3}, 2},
		{[]float32{1, 5, 5, 5, 5, 5, 5}, 1},
		{[]float32{1, 2, 3, 4, 9, 1, 9, 9, 9}, 4},
		{[]float32{1, 2, 3, 4, 0, 1, 2, 3, 9}, 8},
		{[]float32{-1, -2, -3, -4, -5, -6, 7, 7}, 6},
		{[]float32{-1, -2, negz, -4, 0, -6, 0}, 2},
		{[]float32{-1, 0, negz, -4, 0, -6, 0}, 1},
		{[]float32{-3, -2, -1, -1, -4}, 2},
		{[]float32{0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, 7},
	}
	for _, c := range cases {
		if got := argmaxFinite(c.v); got != c.want {
			t.Errorf("argmaxFinite(%v) = %d, want %d", c.v, got, c.want)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range 2000 {
		v := make([]float32, 1+rng.Intn(70))
		for i := range v {
			v[i] = float32(rng.Intn(7) - 3) // many ties
		}
		if got, want := argmaxFinite(v), argmax(v); got != want {
			t.Fatalf("argmaxFinite(%v) = %d, want %d", v, got, want)
		}
	}
}

// TestForwardBatchGreedy: ForwardBatchGreedy's logits are ForwardBatch's
// and each sequence's Forward's bit for bit (decode steps of 4 sequences
// at FFN width 512: the RMSNorm and SwiGLU rows run in the products'
// jobs), its greedy ids the first argmax of each sequence's logits
// where wanted and -1 elsewhere; want of the wrong length is an error.
func TestForwardBatchGreedy(t *testing.T) {
	m, _, _ := exportGGUF(t, randomModelDims(512, 256, 512, 7), ExportOptions{Type: quant.Q4_0})
	prompts := [][]int{{1, 32, 33, 34}, {1, 289, 300}, {1, 5}, {1, 403, 407, 261, 378}}
	a, b, c := make([]model.Sequence, len(prompts)), make([]model.Sequence, len(prompts)), make([]model.Sequence, len(prompts))
	for i := range prompts {
		a[i], b[i], c[i] = m.NewSequence(model.SequenceOptions{}), m.NewSequence(model.SequenceOptions{}), m.NewSequence(model.SequenceOptions{})
	}
	want := []bool{true, false, true, true}
	ids := prompts
	for step := range 6 {
		la, err := m.ForwardBatch(a, ids)
		if err != nil {
			t.Fatal(err)
		}
		w := want
		if step == 5 {
			w = nil
		}
		lb, greedy, err := m.ForwardBatchGreedy(b, ids, w)
		if err != nil {
			t.Fatal(err)
		}
		if (greedy == nil) != (w == nil) {
			t.Fatalf("step %d: greedy %v for want %v", step, greedy, w)
		}
		next := make([][]int, len(ids))
		for i := range ids {
			lc, err := c[i].Forward(ids[i], false)
			if err != nil {
				t.Fatal(err)
			}
			for j := range la[i] {
				if math.Float32bits(la[i][j]) != math.Float32bits(lc[j]) {
					t.Fatalf("step %d sequence %d logit %d: ForwardBatch %v, Forward %v", step, i, j, la[i][j], lc[j])
				}
				if math.Float32bits(la[i][j]) != math.Float32bits(lb[i][j]) {
					t.Fatalf("step %d sequence %d logit %d: %v, ForwardBatch %v", step, i, j, lb[i][j], la[i][j])
				}
			}
			g := argmax(la[i])
			if w != nil {
				if exp := map[bool]int{true: g, false: -1}[w[i]]; greedy[i] != exp {
					t.Fatalf("step %d sequence %d: greedy %d, want %d", step, i, greedy[i], exp)
				}
			}
			next[i] = []int{g}
		}
		ids = next
	}
	if _, _, err := m.ForwardBatchGreedy(b, ids, []bool{true}); err == nil {
		t.Fatal("want of 1 flag for 4 sequences: no error")
	}
}
