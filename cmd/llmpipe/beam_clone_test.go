package main

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/model"
)

// countingModel counts the positions its sequences run; with clone false
// its sequences hide Clone, so beam search re-runs prefixes.
type countingModel struct {
	model.Model
	clone bool
	ran   *int
}

type countingSeq struct {
	model.Sequence
	ran *int
}

func (s countingSeq) Forward(ids []int, all bool) ([]float32, error) {
	*s.ran += len(ids)
	return s.Sequence.Forward(ids, all)
}

type cloningSeq struct{ countingSeq }

func (s cloningSeq) Clone() model.Sequence {
	return cloningSeq{countingSeq{s.Sequence.(model.Cloner).Clone(), s.ran}}
}

func (m countingModel) NewSequence(opts model.SequenceOptions) model.Sequence {
	s := countingSeq{m.Model.NewSequence(opts), m.ran}
	if m.clone {
		return cloningSeq{s}
	}
	return s
}

// TestBeamCloneStories260K: beam search (width 4) on stories260K with
// llama's Sequence.Clone finds the same beams as re-running prefixes, with
// scores equal to float32 rounding (a batched re-run rounds a few logits
// differently from one-position steps), and runs far fewer positions.
func TestBeamCloneStories260K(t *testing.T) {
	m, tok, closeModel, err := loadRunModel(shared.Path(t, "models/stories260K.gguf"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeModel()
	for _, kvF16 := range []bool{false, true} {
		var res [2]*generate.Result
		var ran [2]int
		var took [2]time.Duration
		for i, clone := range []bool{false, true} {
			start := time.Now()
			res[i], err = generate.RunText(context.Background(), countingModel{m, clone, &ran[i]}, tok, "Once upon a time",
				generate.Options{Beam: generate.BeamOptions{Width: 4}, MaxTokens: 128, KVF16: kvF16})
			if err != nil {
				t.Fatal(err)
			}
			took[i] = time.Since(start)
		}
		if len(res[0].Beams) != 4 || len(res[1].Beams) != 4 {
			t.Fatalf("kv-f16=%v: %d and %d beams", kvF16, len(res[0].Beams), len(res[1].Beams))
		}
		for i := range res[0].Beams {
			a, b := res[0].Beams[i], res[1].Beams[i]
			if !slices.Equal(a.IDs, b.IDs) || a.Text != b.Text || math.Abs(a.Score-b.Score) > 1e-4 {
				t.Errorf("kv-f16=%v beam %d: %v %.7f re-running prefixes, %v %.7f with Clone", kvF16, i, a.IDs, a.Score, b.IDs, b.Score)
			}
		}
		if ran[1] >= ran[0] {
			t.Errorf("kv-f16=%v: %d positions run with Clone, %d without", kvF16, ran[1], ran[0])
		}
		t.Logf("kv-f16=%v: re-running prefixes %d positions in %v; with Clone %d positions in %v", kvF16, ran[0], took[0], ran[1], took[1])
	}
}
