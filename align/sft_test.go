package align

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/train"
)

func tinyModel(t testing.TB, seed uint64) *train.Model {
	t.Helper()
	tok, _ := Tokenizer()
	m, err := train.NewModel(train.Config{Layers: 1, Dim: 32, Heads: 2, Ctx: 32, Vocab: tok.VocabSize()}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPack(t *testing.T) {
	tok, _ := Tokenizer()
	ex := []Example{{TaskCopy, "cp ab", "ab"}, {TaskAdd, "1+2", "3"}, {TaskCopy, "cp xyz", "xyz"}}
	// "Q:cp ab\nA:ab\n" is 13 tokens, "Q:1+2\nA:3\n" 10, "Q:cp xyz\nA:xyz\n" 15:
	// rows of 24 hold the first two, then the third.
	rows, err := Pack(tok, ex, 24)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows.Ids) != 2 {
		t.Fatalf("%d rows, want 2", len(rows.Ids))
	}
	dec := func(ids []int) string {
		var b []rune
		for _, id := range ids {
			if id < 0 {
				b = append(b, '_')
			} else {
				b = append(b, rune(Alphabet[id]))
			}
		}
		return string(b)
	}
	// Targets: position t holds ids[t+1] when that is a reply token.
	if got, want := dec(rows.Ids[0][:23]), "Q:cp ab\nA:ab\nQ:1+2\nA:3\n"; got != want {
		t.Errorf("row 0 = %q, want %q", got, want)
	}
	if got, want := dec(rows.Targets[0]), "_________ab\n________3\n__"; got != want {
		t.Errorf("row 0 targets = %q, want %q", got, want)
	}
	if got, want := dec(rows.Targets[1][:16]), "__________xyz\n__"; got != want {
		t.Errorf("row 1 targets = %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(rows.Segs[0]), "[0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 -1]"; got != want {
		t.Errorf("row 0 segments = %s, want %s", got, want)
	}
	if _, err := Pack(tok, ex, 12); err == nil {
		t.Error("an example longer than the context packed")
	}
	if _, err := Pack(tok, []Example{{TaskCopy, "cp é", "é"}}, 24); err == nil {
		t.Error("a character outside the alphabet packed")
	}
}

// TestSFTLearns: 60 steps on 32 examples (memorization) lower the reply
// loss on those rows from about ln(66) ≈ 4.2 (uniform) to below half of it,
// and leave the prompt tokens out: their logits get no gradient.
func TestSFTLearns(t *testing.T) {
	tok, _ := Tokenizer()
	m := tinyModel(t, 1)
	ex, _ := Dataset(2, []string{TaskCopy}, 32, 0)
	rows, err := Pack(tok, ex, m.Config.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		var ids, tg []int
		for i := range rows.Ids {
			ids, tg = append(ids, rows.Ids[i]...), append(tg, rows.Targets[i]...)
		}
		return float64(ag.CrossEntropy(nil, m.Forward(nil, ids, len(rows.Ids)), tg, ignore).Data[0])
	}
	before := loss()
	res, err := SFT(context.Background(), m, tok, Options{Steps: 60, Batch: 4, LR: 1e-2, Seed: 1}, ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := loss()
	t.Logf("reply loss %.3f → %.3f (last step %.3f)", before, after, res.Loss)
	if before < 3.8 || after > before/2 {
		t.Errorf("reply loss %.3f → %.3f: want from ≈4.2 to below half", before, after)
	}
}

func TestSaveLoad(t *testing.T) {
	m := tinyModel(t, 3)
	_, spec := Tokenizer()
	dir := t.TempDir()
	if err := SaveModel(dir, m, spec, 5); err != nil {
		t.Fatal(err)
	}
	got, meta, err := train.LoadModel(nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Step != 5 || meta.Tokenizer.Chars != Alphabet || !slices.Equal(got.Params()[3].Data, m.Params()[3].Data) {
		t.Errorf("loaded step %d tokenizer %+v", meta.Step, meta.Tokenizer)
	}
}

func TestHiddenMatchesForward(t *testing.T) {
	m := tinyModel(t, 4)
	ids := []int{1, 5, 9, 12, 3, 7}
	h := Hidden(nil, m, ids, 2)
	want := m.Forward(nil, ids, 2)
	got := ag.MatMul(nil, h, m.Output, nil)
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("logit %d: %v from Hidden, %v from Forward", i, got.Data[i], want.Data[i])
		}
	}
}

// TestPackedForwardEqualsAlone: each example of a packed row gets, through
// PackedForward, the reply loss it gets alone through Forward (to 1e-5),
// for Llama and GPT-2 models with weights large enough that attention is
// far from uniform; the row through plain Forward (attention across
// examples, positions from the row's start) differs, so the check can fail.
func TestPackedForwardEqualsAlone(t *testing.T) {
	tok, _ := Tokenizer()
	ex := []Example{{TaskCopy, "cp ab", "ab"}, {TaskAdd, "12+7", "19"}, {TaskUpper, "up xyz", "XYZ"}}
	for _, arch := range []string{train.ArchLlama, train.ArchGPT2} {
		m, err := train.NewModel(train.Config{Arch: arch, Layers: 2, Dim: 32, Heads: 4, KVHeads: 2, Ctx: 48, Vocab: tok.VocabSize()},
			rand.New(rand.NewPCG(4, 0)))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			if p.Rows > 1 {
				for i := range p.Data {
					p.Data[i] *= 15
				}
			}
		}
		rows, err := Pack(tok, ex, m.Config.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows.Ids) != 1 {
			t.Fatalf("%d rows, want the 3 examples in one", len(rows.Ids))
		}
		ids, tg, seg := rows.Ids[0], rows.Targets[0], rows.Segs[0]
		packed := PackedForward(nil, m, ids, 1, seg)
		crossed := m.Forward(nil, ids, 1)
		r0, worstCrossed := 0, 0.0
		for i, e := range ex {
			one, err := Pack(tok, []Example{e}, m.Config.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, s := range seg {
				if s == int32(i) {
					n++
				}
			}
			alone := ag.CrossEntropy(nil, m.Forward(nil, one.Ids[0][:n], 1), one.Targets[0][:n], ignore).Data[0]
			rowsOf := func(v *ag.Var) *ag.Var { return ag.New(n, v.Cols, v.Data[r0*v.Cols:(r0+n)*v.Cols]) }
			got := ag.CrossEntropy(nil, rowsOf(packed), tg[r0:r0+n], ignore).Data[0]
			if d := math.Abs(float64(got - alone)); d > 1e-5 {
				t.Errorf("%s example %d: packed loss %.7f, alone %.7f", arch, i, got, alone)
			}
			c := ag.CrossEntropy(nil, rowsOf(crossed), tg[r0:r0+n], ignore).Data[0]
			worstCrossed = max(worstCrossed, math.Abs(float64(c-alone)))
			r0 += n
		}
		if worstCrossed < 1e-3 {
			t.Errorf("%s: attention across examples changes the losses by only %g: the check is blind", arch, worstCrossed)
		}
	}
}
