package train

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// tinyCorpus is a byte stream with structure: counting words repeated, so a
// model can learn it in a few steps.
func tinyCorpus(n int) Tokens {
	words := []string{"one ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight "}
	var sb strings.Builder
	for i := 0; sb.Len() < n; i++ {
		sb.WriteString(words[i%len(words)])
	}
	ids, _ := Encode(ByteTokenizer{}, sb.String()[:n])
	return ids
}

func tinyOptions(t *testing.T, arch string) Options {
	return Options{
		Model: Config{Arch: arch, Layers: 2, Dim: 32, Heads: 4, KVHeads: 2, Ctx: 16, Vocab: 256},
		Steps: 8, Batch: 4, Warmup: 2, LR: 3e-3, EvalEvery: 4, EvalBatches: 2, LogEvery: 1,
		Seed: 42, OutDir: t.TempDir(),
	}
}

// TestResumeBitExact checks that N steps in one run and N/2 + resume + N/2
// give bit-identical parameters (model, AdamW moments, step and sampler
// state all restored), with gradient accumulation, for both architectures.
func TestResumeBitExact(t *testing.T) {
	data := tinyCorpus(4000)
	tr, val := Split(data, 0.1)
	for _, arch := range []string{ArchLlama, ArchGPT2} {
		t.Run(arch, func(t *testing.T) {
			o := tinyOptions(t, arch)
			o.Accum = 2
			o.DecaySteps = o.Steps
			straight, err := Run(context.Background(), o, tr, val)
			if err != nil {
				t.Fatal(err)
			}
			h := o
			h.OutDir = t.TempDir()
			h.Steps = o.Steps / 2
			if _, err := Run(context.Background(), h, tr, val); err != nil {
				t.Fatal(err)
			}
			h.Steps, h.Resume = o.Steps, true
			resumed, err := Run(context.Background(), h, tr, val)
			if err != nil {
				t.Fatal(err)
			}
			if resumed.Step != o.Steps {
				t.Fatalf("resumed run ended at step %d, want %d", resumed.Step, o.Steps)
			}
			a, b := straight.Model.Params(), resumed.Model.Params()
			for i := range a {
				for j := range a[i].Data {
					if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) {
						t.Fatalf("%s[%d]: %v straight, %v resumed", straight.Model.Names()[i], j, a[i].Data[j], b[i].Data[j])
					}
				}
			}
			if straight.Loss != resumed.Loss || straight.ValLoss != resumed.ValLoss {
				t.Fatalf("losses %v/%v straight, %v/%v resumed", straight.Loss, straight.ValLoss, resumed.Loss, resumed.ValLoss)
			}
			// metrics.jsonl holds every logged step once
			b1, _ := os.ReadFile(filepath.Join(o.OutDir, "metrics.jsonl"))
			b2, _ := os.ReadFile(filepath.Join(h.OutDir, "metrics.jsonl"))
			if n1, n2 := bytes.Count(b1, []byte("\n")), bytes.Count(b2, []byte("\n")); n1 != o.Steps || n2 != o.Steps {
				t.Fatalf("metrics.jsonl has %d lines straight, %d resumed; want %d", n1, n2, o.Steps)
			}
		})
	}
}

// TestLearnsPattern checks that a tiny Llama learns the counting-words
// stream: after 60 steps the validation loss is far below the loss of the
// byte frequencies alone (the unigram entropy, computed here from the
// data), which needs context.
func TestLearnsPattern(t *testing.T) {
	data := tinyCorpus(20000)
	tr, val := Split(data, 0.1)
	o := tinyOptions(t, ArchLlama)
	o.Steps, o.EvalEvery, o.LR, o.Warmup = 60, 60, 1e-2, 5
	var first float64
	o.OnStep = func(_ *Model, step int, loss float64) {
		if step == 1 {
			first = loss
		}
	}
	res, err := Run(context.Background(), o, tr, val)
	if err != nil {
		t.Fatal(err)
	}
	h := unigramEntropy(val)
	t.Logf("loss %.3f at step 1, %.3f at step 60; validation %.3f; unigram entropy %.3f nats", first, res.Loss, res.ValLoss, h)
	if !(res.ValLoss < 0.5*h) {
		t.Fatalf("validation loss %.3f after 60 steps, want < half the unigram entropy %.3f", res.ValLoss, h)
	}
	for _, f := range []string{CheckpointFile, "metrics.jsonl", "loss.png"} {
		if _, err := os.Stat(filepath.Join(o.OutDir, f)); err != nil {
			t.Errorf("output %s: %v", f, err)
		}
	}
}

// TestShakespeareShort is the CI version of nanoGPT's character-level
// Shakespeare recipe: a GPT-2 of 2 layers, dim 64, context 32, 60 steps of
// 8 windows at lr 3e-3. The validation loss must fall below the corpus's
// character unigram entropy (≈ 3.3 nats, computed here): the model then
// predicts from context, which a bigram-free model cannot; the start is
// ln 65 ≈ 4.17.
func TestShakespeareShort(t *testing.T) {
	text, err := os.ReadFile(shared.Path(t, "corpora/tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tok := NewCharTokenizer(string(text))
	ids, err := Encode(tok, string(text))
	if err != nil {
		t.Fatal(err)
	}
	tr, val := Split(ids, 0.1)
	o := Options{
		Model: Config{Arch: ArchGPT2, Layers: 2, Dim: 64, Heads: 4, Ctx: 32, Vocab: tok.VocabSize()},
		Steps: 60, Batch: 8, LR: 3e-3, Warmup: 5, EvalEvery: 60, EvalBatches: 8, Seed: 1, OutDir: t.TempDir(),
	}
	res, err := Run(context.Background(), o, tr, val)
	if err != nil {
		t.Fatal(err)
	}
	h := unigramEntropy(val)
	t.Logf("vocab %d; after 60 steps loss %.3f, validation %.3f; unigram entropy %.3f nats", tok.VocabSize(), res.Loss, res.ValLoss, h)
	if !(res.ValLoss < h) {
		t.Fatalf("validation loss %.3f, want below the unigram entropy %.3f", res.ValLoss, h)
	}
}

func unigramEntropy(t Tokens) float64 {
	counts := map[int32]float64{}
	for _, id := range t {
		counts[id]++
	}
	var h float64
	for _, c := range counts {
		p := c / float64(len(t))
		h -= p * math.Log(p)
	}
	return h
}

// TestInterruptSaves checks that a cancelled context saves a checkpoint
// after the current step and that the run resumes from it.
func TestInterruptSaves(t *testing.T) {
	tr, val := Split(tinyCorpus(4000), 0.1)
	o := tinyOptions(t, ArchLlama)
	o.EvalEvery = 100
	ctx, cancel := context.WithCancel(context.Background())
	o.OnStep = func(_ *Model, step int, _ float64) {
		if step == 3 {
			cancel()
		}
	}
	res, err := Run(ctx, o, tr, val)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Step != 3 {
		t.Fatalf("interrupted %v at step %d, want true at 3", res.Interrupted, res.Step)
	}
	ck, err := (FileStore{}).Load(o.OutDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Meta.Step != 3 {
		t.Fatalf("checkpoint at step %d, want 3", ck.Meta.Step)
	}
	o.OnStep, o.Resume = nil, true
	res, err = Run(context.Background(), o, tr, val)
	if err != nil || res.Step != o.Steps {
		t.Fatalf("resume: step %v, %v", res, err)
	}
}

// TestNaNStops poisons a weight after step 5 (a checkpoint was taken at step
// 4): the run stops with ErrNaN naming step 6, and the checkpoint on disk is
// still step 4's.
func TestNaNStops(t *testing.T) {
	tr, val := Split(tinyCorpus(4000), 0.1)
	o := tinyOptions(t, ArchLlama)
	o.OnStep = func(m *Model, step int, _ float64) {
		if step == 5 {
			m.Layers[0].Query.Data[0] = float32(math.NaN())
		}
	}
	_, err := Run(context.Background(), o, tr, val)
	if !errors.Is(err, ErrNaN) || !strings.Contains(err.Error(), "step 6") || !strings.Contains(err.Error(), "step 4") {
		t.Fatalf("error %v, want ErrNaN at step 6 keeping step 4", err)
	}
	ck, err := (FileStore{}).Load(o.OutDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Meta.Step != 4 {
		t.Fatalf("checkpoint at step %d after the NaN, want 4", ck.Meta.Step)
	}
	for _, v := range ck.Tensors[0].Data {
		if math.IsNaN(float64(v)) {
			t.Fatal("the checkpoint holds NaN")
		}
	}
}

// TestBadInput checks the clear errors: an empty and a too-small corpus, a
// config too large for the memory limit (refused before allocating), a
// resume without a checkpoint or of another shape, a second run over a
// checkpoint without --resume.
func TestBadInput(t *testing.T) {
	tr, val := Split(tinyCorpus(4000), 0.1)
	ctx := context.Background()
	check := func(name string, o Options, tr, val Source, want string) {
		t.Helper()
		_, err := Run(ctx, o, tr, val)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, want)
		}
	}
	check("empty", tinyOptions(t, ArchLlama), Tokens{}, Tokens{}, "empty")
	check("too small", tinyOptions(t, ArchLlama), tinyCorpus(10), val, "fewer than one window")
	big := tinyOptions(t, ArchLlama)
	big.Model = Config{Arch: ArchLlama, Layers: 32, Dim: 4096, Heads: 32, Ctx: 16, Vocab: 256}
	big.MemoryLimit = 8 << 30
	check("too big", big, tr, val, "more than the 8.0 GiB available")
	res := tinyOptions(t, ArchLlama)
	res.Resume = true
	check("no checkpoint", res, tr, val, "resume")
	o := tinyOptions(t, ArchLlama)
	o.Steps = 2
	if _, err := Run(ctx, o, tr, val); err != nil {
		t.Fatal(err)
	}
	check("no --resume", o, tr, val, "--resume")
	other := o
	other.Resume, other.Steps = true, 4
	other.Model.Dim = 64
	check("other config", other, tr, val, "another config")
	bad := tinyOptions(t, ArchLlama)
	bad.Model.Heads = 3
	check("heads", bad, tr, val, "multiple")
}

// TestCheckpointCorrupt checks that damaged checkpoints are errors, not
// panics.
func TestCheckpointCorrupt(t *testing.T) {
	tr, val := Split(tinyCorpus(4000), 0.1)
	o := tinyOptions(t, ArchGPT2)
	o.Steps = 1
	if _, err := Run(context.Background(), o, tr, val); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(o.OutDir, CheckpointFile)
	good, _ := os.ReadFile(path)
	for _, n := range []int{0, 5, 12, 100, len(good) / 2, len(good) - 1} {
		os.WriteFile(path, good[:n], 0o644)
		if _, err := (FileStore{}).Load(o.OutDir, nil); err == nil {
			t.Errorf("checkpoint cut at %d bytes loaded", n)
		}
	}
}

// TestPlot checks that the loss plot decodes and shows both curves.
func TestPlot(t *testing.T) {
	var h []Metric
	for s := 1; s <= 200; s++ {
		m := Metric{Step: s, Loss: 4 * math.Exp(-float64(s)/50)}
		if s%50 == 0 {
			v := m.Loss + 0.1
			m.ValLoss = &v
		}
		h = append(h, m)
	}
	path := filepath.Join(t.TempDir(), "loss.png")
	if err := WritePlot(path, h); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	found := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			found[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	for _, c := range [][3]uint32{{31, 119, 180}, {255, 127, 14}, {0, 0, 0}} {
		if !found[c] {
			t.Errorf("colour %v missing from the plot", c)
		}
	}
	if got := label(3.4000000001, 0.2); got != "3.4" {
		t.Errorf("label 3.4 = %q", got)
	}
}

// TestCharTokenizer checks nanoGPT's character vocabulary: sorted
// distinct characters, round trip, unknown characters refused.
func TestCharTokenizer(t *testing.T) {
	tok := NewCharTokenizer("hello world", "wow!")
	if got := string(tok.Chars); got != " !dehlorw" {
		t.Fatalf("vocabulary %q", got)
	}
	ids, err := tok.Encode("hold row", tokenizer.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := tok.Decode(ids, tokenizer.DecodeOptions{}); s != "hold row" {
		t.Fatalf("round trip %q", s)
	}
	if _, err := Encode(tok, "hex"); err == nil {
		t.Fatal("unknown character encoded")
	}
}

// TestLoadModel checks that a saved model loads back with the same weights
// and runs in the llama runtime.
func TestLoadModel(t *testing.T) {
	tr, val := Split(tinyCorpus(4000), 0.1)
	o := tinyOptions(t, ArchLlama)
	o.Steps = 2
	res, err := Run(context.Background(), o, tr, val)
	if err != nil {
		t.Fatal(err)
	}
	m, meta, err := LoadModel(nil, o.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Step != 2 || m.Config != res.Model.Config {
		t.Fatalf("loaded step %d config %s", meta.Step, m.Config)
	}
	for i, p := range m.Params() {
		for j, v := range p.Data {
			if v != res.Model.Params()[i].Data[j] {
				t.Fatalf("%s[%d] differs", m.Names()[i], j)
			}
		}
	}
	if _, err := m.ToLlama(); err != nil {
		t.Fatal(err)
	}
}
