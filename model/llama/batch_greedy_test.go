package llama

import (
	"math"
	"testing"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/quant"
)

var _ model.GreedyBatchForwarder = (*Model)(nil)

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
