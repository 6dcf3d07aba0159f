package train

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/checkpoint"
	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/optim"
)

// TestLlamaMatchesRuntime checks that the autograd forward pass (no tape)
// of a trained-shape Llama or GPT-2 gives the logits of package
// model/llama's Forward on the same weights (the same network definition
// on the runtime's kernels), with grouped KV heads and a separate or tied
// head; and that the runtime's decode steps and ForwardBatch agree with its
// prefill.
func TestLlamaMatchesRuntime(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"gqa-untied", Config{Arch: ArchLlama, Layers: 2, Dim: 32, Heads: 4, KVHeads: 2, FFN: 48, Ctx: 16, Vocab: 37}},
		{"mha-tied", Config{Arch: ArchLlama, Layers: 1, Dim: 24, Heads: 3, Ctx: 12, Vocab: 29, Tied: true}},
		{"gpt2", Config{Arch: ArchGPT2, Layers: 2, Dim: 32, Heads: 4, Ctx: 16, Vocab: 37}},
		{"gpt2-sinusoidal", Config{Arch: ArchGPT2, Layers: 2, Dim: 32, Heads: 4, Ctx: 16, Vocab: 37, Pos: PosSinusoidal}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			m, err := NewModel(tc.cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			// larger weights than the 0.02 initialization, so that every
			// op shapes the logits
			for _, p := range m.Params() {
				for i := range p.Data {
					p.Data[i] += float32(rng.NormFloat64() * 0.3)
				}
			}
			T := m.Config.Ctx
			ids := make([]int, T)
			for i := range ids {
				ids[i] = rng.IntN(m.Config.Vocab)
			}
			got := m.Forward(nil, ids, 1)
			lm, err := m.ToLlama()
			if err != nil {
				t.Fatal(err)
			}
			want, err := lm.NewSequence(model.SequenceOptions{}).Forward(ids, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != len(got.Data) {
				t.Fatalf("runtime gives %d logits, autograd %d", len(want), len(got.Data))
			}
			var maxAbs, maxRef float64
			for i := range want {
				maxAbs = math.Max(maxAbs, math.Abs(float64(want[i]-got.Data[i])))
				maxRef = math.Max(maxRef, math.Abs(float64(want[i])))
			}
			if maxAbs > 1e-5*math.Max(1, maxRef) {
				t.Fatalf("max |Δlogit| %g (largest logit %g)", maxAbs, maxRef)
			}
			t.Logf("max |Δlogit| %.3g, largest logit %.3g", maxAbs, maxRef)
			// decode steps after a prefill give the prefill's logits of
			// those positions within float rounding (attention over the
			// KV cache sums in another order)
			s := lm.NewSequence(model.SequenceOptions{})
			if _, err := s.Forward(ids[:T/2], false); err != nil {
				t.Fatal(err)
			}
			V := m.Config.Vocab
			for p := T / 2; p < T; p++ {
				step, err := s.Forward(ids[p:p+1], false)
				if err != nil {
					t.Fatal(err)
				}
				for j := range step {
					if d := math.Abs(float64(step[j] - want[p*V+j])); d > 1e-5*math.Max(1, maxRef) {
						t.Fatalf("position %d: decode logit %d is %g, prefill %g", p, j, step[j], want[p*V+j])
					}
				}
			}
			// a batch of two sequences gives each its own Forward's bits
			a, b := lm.NewSequence(model.SequenceOptions{}), lm.NewSequence(model.SequenceOptions{})
			rows := [][]int{ids[:3], ids[3:8]}
			outs, err := lm.ForwardBatch([]model.Sequence{a, b}, rows)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rows {
				one, err := lm.NewSequence(model.SequenceOptions{}).Forward(r, false)
				if err != nil {
					t.Fatal(err)
				}
				for j := range one {
					if math.Float32bits(one[j]) != math.Float32bits(outs[i][j]) {
						t.Fatalf("batch sequence %d: logit %d is %g, alone %g", i, j, outs[i][j], one[j])
					}
				}
			}
		})
	}
}

// TestParamsCount checks Config.Params against the parameters NewModel
// makes, and nanoGPT's initialization scales.
func TestParamsCount(t *testing.T) {
	for _, c := range []Config{
		{Arch: ArchLlama, Layers: 3, Dim: 32, Heads: 4, KVHeads: 2, Ctx: 8, Vocab: 50},
		{Arch: ArchLlama, Layers: 1, Dim: 16, Heads: 2, Ctx: 8, Vocab: 20, Tied: true},
		{Arch: ArchGPT2, Layers: 2, Dim: 32, Heads: 4, Ctx: 16, Vocab: 65},
	} {
		m, err := NewModel(c, rand.New(rand.NewPCG(3, 3)))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := int64(m.NumParams()), m.Config.Params(); got != want {
			t.Errorf("%s: model has %d parameters, Config.Params says %d", m.Config, got, want)
		}
		if len(m.Names()) != len(m.Params()) {
			t.Errorf("%d names for %d parameters", len(m.Names()), len(m.Params()))
		}
	}
	// nanoGPT: 4 layers, dim 128, vocab 65, ctx 64 with biases: 0.80M
	// non-embedding parameters + 65·128 + 64·128 (model.py reports
	// the count without the position embedding)
	c := Config{Arch: ArchGPT2, Layers: 4, Dim: 128, Heads: 4, Ctx: 64, Vocab: 65}.WithDefaults()
	if got := c.Params() - 64*128; got < 800000 || got > 810000 {
		t.Errorf("nanoGPT Shakespeare shape: %d parameters without positions", got)
	}
	m, _ := NewModel(Config{Arch: ArchGPT2, Layers: 8, Dim: 256, Heads: 4, Ctx: 8, Vocab: 300}, rand.New(rand.NewPCG(5, 5)))
	std := func(d []float32) float64 {
		var s float64
		for _, v := range d {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s / float64(len(d)))
	}
	if s := std(m.Layers[0].Query.Data); math.Abs(s-0.02) > 0.001 {
		t.Errorf("attn_q std %g, want 0.02", s)
	}
	if s, want := std(m.Layers[0].Proj.Data), 0.02/math.Sqrt(16); math.Abs(s-want) > 0.0003 {
		t.Errorf("ffn_down std %g, want %g", s, want)
	}
}

// TestExportGGUFRoundTrip writes a trained-shape Llama through
// model/llama's GGUF exporter and checks that the loaded file gives the
// autograd model's logits.
func TestExportGGUFRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	m, err := NewModel(Config{Arch: ArchLlama, Layers: 2, Dim: 32, Heads: 4, KVHeads: 2, Ctx: 16, Vocab: 40}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		for i := range p.Data {
			p.Data[i] += float32(rng.NormFloat64() * 0.2)
		}
	}
	lm, err := m.ToLlama()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lm.WriteGGUF(f, llama.ExportOptions{Name: "train-test"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	gf, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer gf.Close()
	back, err := llama.Load(gf)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int{1, 5, 9, 39, 0, 7, 7, 3}
	got, err := back.NewSequence(model.SequenceOptions{}).Forward(ids, true)
	if err != nil {
		t.Fatal(err)
	}
	want := m.Forward(nil, ids, 1).Data
	for i := range want {
		if d := math.Abs(float64(want[i] - got[i])); d > 1e-4 {
			t.Fatalf("logit %d: GGUF %v, autograd %v", i, got[i], want[i])
		}
	}
}

// TestGPT2RuntimeChecksWeights checks that a GPT-2 whose position table is
// shorter than its context is refused with an error, not a panic.
func TestGPT2RuntimeChecksWeights(t *testing.T) {
	m, err := NewModel(Config{Arch: ArchGPT2, Layers: 1, Dim: 8, Heads: 2, Ctx: 4, Vocab: 5}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	lm, err := m.ToLlama()
	if err != nil {
		t.Fatal(err)
	}
	lm.GPT2.PosEmbd.Rows = 2
	if _, err := lm.NewSequence(model.SequenceOptions{}).Forward([]int{1, 2}, false); err == nil {
		t.Fatal("a 2-row position table for a 4-position context ran")
	} else {
		t.Log(err)
	}
}

// TestModelGradients checks the gradients of the network definition's
// autograd backend (Loss through llama.Logits on agOps) against central
// finite differences of the loss, for a few entries of every parameter of a
// small Llama and GPT-2.
func TestModelGradients(t *testing.T) {
	for _, c := range []Config{
		{Arch: ArchLlama, Layers: 2, Dim: 16, Heads: 4, KVHeads: 2, FFN: 24, Ctx: 6, Vocab: 11},
		{Arch: ArchGPT2, Layers: 2, Dim: 16, Heads: 4, Ctx: 6, Vocab: 11},
	} {
		t.Run(c.Arch, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 3))
			m, err := NewModel(c, rng)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range m.Params() { // away from the init's symmetric point
				for i := range p.Data {
					p.Data[i] += float32(rng.NormFloat64() * 0.2)
				}
			}
			const batch = 2
			ids, tg := make([]int, batch*c.Ctx), make([]int, batch*c.Ctx)
			for i := range ids {
				ids[i], tg[i] = rng.IntN(c.Vocab), rng.IntN(c.Vocab)
			}
			tp := ag.NewTape()
			if err := tp.Backward(m.Loss(tp, ids, tg, batch)); err != nil {
				t.Fatal(err)
			}
			loss := func() float64 { return float64(m.Loss(nil, ids, tg, batch).Data[0]) }
			const h = 1e-2
			for pi, p := range m.Params() {
				for k := 0; k < 3; k++ {
					i := rng.IntN(len(p.Data))
					v := p.Data[i]
					p.Data[i] = v + h
					up := loss()
					p.Data[i] = v - h
					down := loss()
					p.Data[i] = v
					num, got := (up-down)/(2*h), float64(p.Grad[i])
					if math.Abs(num-got) > 2e-3+2e-2*math.Abs(num) {
						t.Errorf("%s[%d]: gradient %g, finite difference %g", m.Names()[pi], i, got, num)
					}
				}
			}
		})
	}
}

// TestForwardRowsPacked checks Rows' positions and attention: two examples
// of T tokens packed in one window of 2T, with positions restarting at the
// second and attention within each example, give the bits of the two
// examples as separate windows (Forward), for Llama and GPT-2.
func TestForwardRowsPacked(t *testing.T) {
	for _, c := range []Config{
		{Arch: ArchLlama, Layers: 2, Dim: 16, Heads: 4, KVHeads: 2, FFN: 24, Ctx: 12, Vocab: 11},
		{Arch: ArchGPT2, Layers: 2, Dim: 16, Heads: 4, Ctx: 12, Vocab: 11},
	} {
		t.Run(c.Arch, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, 4))
			m, err := NewModel(c, rng)
			if err != nil {
				t.Fatal(err)
			}
			const T = 5
			ids := make([]int, 2*T)
			for i := range ids {
				ids[i] = rng.IntN(c.Vocab)
			}
			want := m.Forward(nil, ids, 2)
			pos := make([]int, 2*T)
			for i := range pos {
				pos[i] = i % T
			}
			h := m.Config.HeadDim()
			got := m.ForwardRows(nil, Rows{IDs: ids, Batch: 1, Pos: pos, Attention: func(tp *ag.Tape, q, k, v *ag.Var) *ag.Var {
				return ag.Attention(tp, q, k, v, 2, m.Config.Heads, m.Config.KVHeads, ag.DefaultScale(h))
			}})
			for i := range want.Data {
				if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
					t.Fatalf("logit %d: packed %g, separate windows %g", i, got.Data[i], want.Data[i])
				}
			}
			// the whole window without them is a different computation
			if one := m.Forward(nil, ids, 1); one.Data[len(one.Data)-1] == want.Data[len(want.Data)-1] {
				t.Fatal("one window of 2T gives the last logit of two windows of T")
			}
		})
	}
}

// TestSinusoidalPositions: a GPT-2 with sinusoidal positions holds the
// table of Vaswani et al. (values written out here from the formula), does
// not train it (not a parameter; unchanged by a step; not in the parameter
// count), rebuilds it when loaded from a checkpoint, and refuses the option
// for a Llama or an unknown value.
func TestSinusoidalPositions(t *testing.T) {
	c := Config{Arch: ArchGPT2, Layers: 1, Dim: 8, Heads: 2, Ctx: 6, Vocab: 11, Pos: PosSinusoidal}
	m, err := NewModel(c, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	tab := m.PosEmbd.Data
	for _, w := range []struct {
		p, j int
		v    float64
	}{
		{0, 0, 0}, {0, 1, 1}, {0, 6, 0}, {0, 7, 1},
		{1, 0, math.Sin(1)}, {1, 1, math.Cos(1)},
		{3, 2, math.Sin(3 / math.Pow(10000, 2.0/8))}, {3, 3, math.Cos(3 / math.Pow(10000, 2.0/8))},
		{5, 6, math.Sin(5 / math.Pow(10000, 6.0/8))}, {5, 7, math.Cos(5 / math.Pow(10000, 6.0/8))},
	} {
		if got := tab[w.p*8+w.j]; got != float32(w.v) {
			t.Errorf("PE(%d, %d) = %v, want %v", w.p, w.j, got, float32(w.v))
		}
	}
	for i, name := range m.Names() {
		if name == "position_embd.weight" || m.Params()[i] == m.PosEmbd {
			t.Fatalf("the sinusoidal table is a parameter (%s)", name)
		}
	}
	learned := c
	learned.Pos = PosLearned
	if d := learned.Params() - c.Params(); d != int64(c.Ctx*c.Dim) {
		t.Errorf("parameter count: learned - sinusoidal = %d, want ctx·dim = %d", d, c.Ctx*c.Dim)
	}
	before := slices.Clone(tab)
	tp := ag.NewTape()
	ids := []int{1, 2, 3, 4, 5, 6}
	if err := tp.Backward(m.Loss(tp, ids, []int{2, 3, 4, 5, 6, 7}, 1)); err != nil {
		t.Fatal(err)
	}
	adam := optim.NewAdamW(m.Params(), 0.1, optim.DecayMatrices)
	adam.Step(1e-2)
	if !slices.Equal(before, m.PosEmbd.Data) {
		t.Error("a training step changed the sinusoidal table")
	}
	if m.PosEmbd.RequiresGrad() {
		t.Error("the sinusoidal table carries a gradient")
	}
	// a checkpoint of it loads with the same table and logits
	dir := t.TempDir()
	ck := &Checkpoint{Meta: Meta{Config: m.Config, Tokenizer: TokenizerSpec{Kind: "bytes"}}}
	for i, p := range m.Params() {
		ck.Tensors = append(ck.Tensors, checkpoint.Tensor{Name: m.Names()[i], Shape: []int{p.Rows, p.Cols}, Data: p.Data})
	}
	if err := (FileStore{}).Save(dir, ck); err != nil {
		t.Fatal(err)
	}
	back, _, err := LoadModel(nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.PosEmbd.Data, before) || !slices.Equal(back.Forward(nil, ids, 1).Data, m.Forward(nil, ids, 1).Data) {
		t.Error("the reloaded model differs")
	}
	for _, bad := range []Config{
		{Arch: ArchLlama, Layers: 1, Dim: 8, Heads: 2, Ctx: 6, Vocab: 11, Pos: PosSinusoidal},
		{Arch: ArchGPT2, Layers: 1, Dim: 8, Heads: 2, Ctx: 6, Vocab: 11, Pos: "rotary"},
	} {
		if _, err := NewModel(bad, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
