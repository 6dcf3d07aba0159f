package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// trainSteps runs steps SGD steps of a small model (Llama or GPT-2 shaped)
// on one random batch, with one tape reused (its buffers recycled) or a new
// tape every step, and returns each step's loss and the final parameters.
func trainSteps(gpt2, reuse bool, steps int) ([]float32, [][]float32) {
	m := newTestModel(gpt2, 23, 16, 2, 4, 2, 40, 12, 3)
	rng := rand.New(rand.NewPCG(21, 22))
	p := m.params(rng, 0.5)
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	slices.Sort(names)
	tp := NewTape()
	var losses []float32
	ids, targets := randomBatch(rng, m)
	for range steps {
		if !reuse {
			tp = NewTape()
		}
		for _, n := range names {
			ZeroGrad(p[n])
		}
		loss := modelLoss[*Var](agOps{tp}, m, p, ids, targets)
		if err := tp.Backward(loss); err != nil {
			panic(err)
		}
		losses = append(losses, loss.Data[0]) // valid after Backward
		for _, n := range names {
			v := p[n]
			for i := range v.Data {
				v.Data[i] -= 0.1 * v.Grad[i]
			}
		}
	}
	var out [][]float32
	for _, n := range names {
		out = append(out, slices.Clone(p[n].Data))
	}
	return losses, out
}

// A reused tape recycles its buffers and changes no bit of any result.
func TestTapeRecyclingBitIdentical(t *testing.T) {
	for _, gpt2 := range []bool{false, true} {
		l1, p1 := trainSteps(gpt2, true, 4)
		l2, p2 := trainSteps(gpt2, false, 4)
		if !slices.Equal(l1, l2) {
			t.Errorf("gpt2=%v: losses %v with a reused tape, %v with fresh tapes", gpt2, l1, l2)
		}
		for i := range p1 {
			if !slices.Equal(p1[i], p2[i]) {
				t.Fatalf("gpt2=%v: parameter %d differs after 4 steps", gpt2, i)
			}
		}
		if l1[3] >= l1[0] || math.IsNaN(float64(l1[3])) {
			t.Errorf("gpt2=%v: losses %v do not fall: the check runs on nothing", gpt2, l1)
		}
	}
}

// After its first step, a training loop on a reused tape allocates a small
// fraction of the bytes of a step on a fresh tape (the values' memory is
// recycled; closures, Var headers and small per-row state remain).
func TestTapeRecyclingAllocations(t *testing.T) {
	m := newTestModel(false, 64, 64, 2, 4, 2, 160, 32, 4)
	rng := rand.New(rand.NewPCG(1, 1))
	p := m.params(rng, 0.5)
	ids, targets := randomBatch(rng, m)
	step := func(tp *Tape) {
		if err := tp.Backward(modelLoss[*Var](agOps{tp}, m, p, ids, targets)); err != nil {
			t.Fatal(err)
		}
	}
	bytes := func(f func()) uint64 {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		f()
		runtime.ReadMemStats(&b)
		return b.TotalAlloc - a.TotalAlloc
	}
	fresh := bytes(func() { step(NewTape()) })
	tp := NewTape()
	step(tp)
	step(tp)
	reused := bytes(func() { step(tp) })
	t.Logf("bytes per step: %d on a fresh tape, %d on a reused one", fresh, reused)
	if reused*5 > fresh {
		t.Errorf("a reused tape allocates %d bytes a step, a fresh one %d: want at most a fifth", reused, fresh)
	}
}

// Values stay readable after Backward and are recycled only by the next
// pass; an untracked op on a nil tape never shares a buffer.
func TestTapeValuesLiveUntilNextPass(t *testing.T) {
	tp := NewTape()
	x := Param(2, 3, []float32{1, 2, 3, 4, 5, 6})
	y := Scale(tp, x, 2)
	if err := tp.Backward(Scale(tp, MatMul(tp, y, New(1, 3, []float32{1, 1, 1}), nil), 1)); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(y.Data); got != "[2 4 6 8 10 12]" {
		t.Fatalf("after Backward y = %s", got)
	}
	z := Scale(tp, x, 3) // a new pass: may reuse y's buffer
	if got := fmt.Sprint(z.Data); got != "[3 6 9 12 15 18]" {
		t.Errorf("new pass z = %s", got)
	}
	if got := fmt.Sprint(z.Grad); got != "[0 0 0 0 0 0]" {
		t.Errorf("recycled gradient not zeroed: %s", got)
	}
}
