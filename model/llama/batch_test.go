package llama

import (
	"errors"
	"math"
	"testing"

	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/quant"
)

// TestForwardBatchEqualsForward: three sequences whose prompts are fed in
// chunks of different sizes, mixed with the others' decode steps, give
// logits bit-identical to each sequence run alone with Forward (the prompt
// in the same chunks, then one id at a time), for f32 and q8_0 weights, f32
// and f16 KV caches, on one thread and on several (stories260K f32 and
// q8_0, llama-2-tiny-random, and random width-256 models in F16, Q8_0,
// Q4_0, Q4_K and Q6_K). (Forward itself is not
// bit-invariant to how a prompt is chunked: SwiGLU's 8-wide blocks span
// rows when the FFN width is not a multiple of 8, as stories260K's 172.)
func TestForwardBatchEqualsForward(t *testing.T) {
	prompts := [][]int{
		{1, 403, 407, 261, 378, 432, 351, 267, 29, 289, 300, 370, 280, 378, 416},
		{1, 32, 33, 34},
		{1, 289, 300, 370, 280, 300, 370, 280, 300, 370, 280, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51},
	}
	const steps = 12
	chunk := []int{5, 3, 7}
	// random models of width 256 stored in every type with a batched
	// kernel: Q4_0 and Q4_K matrices of rows%8 == 0 take llama.cpp's
	// repacked order (kernels/q4rp.go, q4krp.go), which must hold across
	// batches as vec_dot's order does
	randoms := map[string]quant.Type{"random-f16": quant.F16, "random-q8_0": quant.Q8_0, "random-q4_0": quant.Q4_0, "random-q4_k": quant.Q4_K, "random-q6_k": quant.Q6_K}
	for _, name := range []string{"models/stories260K.gguf", "models/stories260K-q8_0.gguf", "models/llama-2-tiny-random.gguf",
		"random-f16", "random-q8_0", "random-q4_0", "random-q4_k", "random-q6_k"} {
		var m *Model
		if typ, ok := randoms[name]; ok {
			m, _, _ = exportGGUF(t, randomModelDims(512, 256, 512, 7), ExportOptions{Type: typ})
		} else {
			m = loadModel(t, name)
		}
		for _, f16 := range []bool{false, true} {
			for _, threads := range []int{1, 3} {
				kernels.SetThreads(threads)
				opts := model.SequenceOptions{KVF16: f16}
				// reference: each sequence alone, its prompt in the same chunks
				want := make([][][]float32, len(prompts))
				for i, p := range prompts {
					s := m.NewSequence(opts)
					var lg []float32
					var err error
					for at := 0; at < len(p); at += chunk[i] {
						if lg, err = s.Forward(p[at:min(at+chunk[i], len(p))], false); err != nil {
							t.Fatal(err)
						}
					}
					for range steps {
						want[i] = append(want[i], append([]float32(nil), lg...))
						if lg, err = s.Forward([]int{argmax(lg)}, false); err != nil {
							t.Fatal(err)
						}
					}
				}
				// batched: prompts in chunks, decode steps of finished prompts alongside
				seqs := make([]model.Sequence, len(prompts))
				fed := make([]int, len(prompts))
				next := make([]int, len(prompts))
				got := make([][][]float32, len(prompts))
				for i := range seqs {
					seqs[i] = m.NewSequence(opts)
				}
				for round := 0; ; round++ {
					var bs []model.Sequence
					var bids [][]int
					var who []int
					for i, p := range prompts {
						switch {
						case len(got[i]) == steps:
							continue
						case fed[i] < len(p):
							n := min(chunk[i], len(p)-fed[i])
							bids = append(bids, p[fed[i]:fed[i]+n])
							fed[i] += n
						default:
							bids = append(bids, []int{next[i]})
						}
						bs, who = append(bs, seqs[i]), append(who, i)
					}
					if len(bs) == 0 {
						break
					}
					out, err := m.ForwardBatch(bs, bids)
					if err != nil {
						t.Fatal(err)
					}
					for k, i := range who {
						if fed[i] < len(prompts[i]) {
							continue // a prompt chunk that is not the last: logits unused
						}
						got[i] = append(got[i], append([]float32(nil), out[k]...))
						next[i] = argmax(out[k])
					}
				}
				for i := range prompts {
					for st := range steps {
						for j := range want[i][st] {
							if math.Float32bits(got[i][st][j]) != math.Float32bits(want[i][st][j]) {
								t.Fatalf("%s f16=%v threads=%d: sequence %d step %d logit %d: batch %v, Forward %v", name, f16, threads, i, st, j, got[i][st][j], want[i][st][j])
							}
						}
					}
				}
			}
		}
	}
	kernels.SetThreads(0)
}

// TestForwardBatchErrors: a bad batch is refused before anything runs.
func TestForwardBatchErrors(t *testing.T) {
	m := loadModel(t, "models/stories260K.gguf")
	other := loadModel(t, "models/stories260K.gguf")
	a, b := m.NewSequence(model.SequenceOptions{}), m.NewSequence(model.SequenceOptions{})
	if _, err := a.Forward([]int{1, 2, 3}, false); err != nil {
		t.Fatal(err)
	}
	ctx := m.ContextLength()
	long := make([]int, ctx)
	cases := map[string]struct {
		seqs []model.Sequence
		ids  [][]int
	}{
		"none":       {nil, nil},
		"mismatch":   {[]model.Sequence{a}, [][]int{{1}, {2}}},
		"foreign":    {[]model.Sequence{a, other.NewSequence(model.SequenceOptions{})}, [][]int{{1}, {2}}},
		"twice":      {[]model.Sequence{a, a}, [][]int{{1}, {2}}},
		"empty ids":  {[]model.Sequence{a, b}, [][]int{{1}, {}}},
		"vocabulary": {[]model.Sequence{a, b}, [][]int{{1}, {m.VocabSize()}}},
		"context":    {[]model.Sequence{b, a}, [][]int{{1}, long}},
	}
	for name, c := range cases {
		if _, err := m.ForwardBatch(c.seqs, c.ids); err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "context" && !errors.Is(err, model.ErrContextFull) {
			t.Errorf("context: %v does not wrap ErrContextFull", err)
		}
		if a.Len() != 3 || b.Len() != 0 {
			t.Fatalf("%s: lengths changed to %d, %d", name, a.Len(), b.Len())
		}
	}
}

// TestEmbed: unit length, deterministic, different texts differ, and the
// model's sequences are untouched.
func TestEmbed(t *testing.T) {
	m := loadModel(t, "models/stories260K.gguf")
	e1, err := m.Embed([]int{1, 403, 407, 261})
	if err != nil {
		t.Fatal(err)
	}
	e2, _ := m.Embed([]int{1, 403, 407, 261})
	e3, _ := m.Embed([]int{1, 32, 33})
	if len(e1) != m.EmbeddingSize() {
		t.Fatalf("length %d, want %d", len(e1), m.EmbeddingSize())
	}
	var n, d float64
	for i := range e1 {
		n += float64(e1[i]) * float64(e1[i])
		if e1[i] != e2[i] {
			t.Fatal("Embed is not deterministic")
		}
		d += math.Abs(float64(e1[i] - e3[i]))
	}
	if math.Abs(n-1) > 1e-5 || d == 0 {
		t.Fatalf("norm² %v, distance %v", n, d)
	}
	if _, err := m.Embed(nil); err == nil {
		t.Fatal("Embed of no ids: no error")
	}
}

// TestForwardAllocs: once a sequence's scratch and KV cache exist, a decode
// step with Forward allocates nothing of its own, and a ForwardBatch step
// of three sequences only its small per-call bookkeeping (stories260K). The
// kernels allocate one closure per weight product (4 per layer, 1 for the
// output), which the bounds allow for.
func TestForwardAllocs(t *testing.T) {
	m := loadModel(t, "models/stories260K.gguf")
	for _, threads := range []int{1, 0} {
		kernels.SetThreads(threads)
		s := m.NewSequence(model.SequenceOptions{})
		if _, err := s.Forward([]int{1, 32, 33}, false); err != nil {
			t.Fatal(err)
		}
		ids := []int{1}
		fwd := testing.AllocsPerRun(20, func() {
			if _, err := s.Forward(ids, false); err != nil {
				t.Fatal(err)
			}
			ids[0]++
		})
		seqs := []model.Sequence{m.NewSequence(model.SequenceOptions{}), m.NewSequence(model.SequenceOptions{}), m.NewSequence(model.SequenceOptions{})}
		bids := [][]int{{1}, {2}, {3}}
		if _, err := m.ForwardBatch(seqs, bids); err != nil {
			t.Fatal(err)
		}
		batch := testing.AllocsPerRun(20, func() {
			if _, err := m.ForwardBatch(seqs, bids); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("threads=%d: Forward decode step %v allocations, ForwardBatch step of 3 sequences %v", threads, fwd, batch)
		kern := float64(4*len(m.Weights.Layers) + 1)
		if fwd > kern {
			t.Errorf("threads=%d: Forward decode step: %v allocations, want at most the kernels' %v", threads, fwd, kern)
		}
		if batch > kern+2 {
			t.Errorf("threads=%d: ForwardBatch step of 3 sequences: %v allocations, want at most the kernels' %v + 2", threads, batch, kern)
		}
	}
}
