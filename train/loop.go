package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/checkpoint"
	"github.com/llmpipe/llmpipe/optim"
)

// Options are a training run's hyperparameters and outputs. Zero fields
// take the defaults that Run documents.
type Options struct {
	Model       Config  // the shape; Vocab from the tokenizer
	Steps       int     // optimizer steps in all (a resumed run continues to Steps)
	Batch       int     // windows per micro-batch (default 12)
	Accum       int     // micro-batches per step, gradients summed (default 1)
	LR, MinLR   float32 // peak and final learning rate (defaults 1e-3, LR/10)
	Warmup      int     // linear warmup steps (0: none; at most DecaySteps)
	DecaySteps  int     // cosine decay ends here (default Steps)
	WeightDecay float32 // AdamW decoupled decay on matrices (default 0.1; negative: none)
	Beta1       float32 // default 0.9
	Beta2       float32 // default 0.99 (nanoGPT's Shakespeare recipe)
	GradClip    float64 // global-norm clip (default 1; negative: none)
	EvalEvery   int     // steps between validation losses and checkpoints (default 250)
	EvalBatches int     // validation micro-batches of Batch fixed windows (default 20)
	LogEvery    int     // steps between progress lines (default 10)
	Seed        uint64
	OutDir      string  // checkpoint, metrics.jsonl and loss.png go here
	Resume      bool    // continue from OutDir's checkpoint
	MemoryLimit float64 // bytes; a config whose estimate exceeds it is refused (0: no check)

	Tokenizer TokenizerSpec     // recorded in the checkpoint
	Settings  map[string]string // recorded in the checkpoint as given (nil on a resume keeps the saved ones)
	Store     Store             // default FileStore
	Progress  io.Writer         // progress lines (nil: none)
	JSON      io.Writer         // one JSON object per logged step (nil: none)
	// OnStep, when set, is called after every optimizer step (tests).
	OnStep func(m *Model, step int, loss float64)
}

// Result summarizes a finished (or interrupted) run.
type Result struct {
	Model       *Model
	Step        int     // steps taken in all
	Loss        float64 // training loss of the last step
	ValLoss     float64 // last validation loss (NaN if none)
	TokS        float64 // training tokens per second of this run
	Seconds     float64 // wall time of this run
	Interrupted bool    // the context was cancelled; a checkpoint was saved
}

// ErrNaN is wrapped by the error of a run whose loss became NaN or infinite.
var ErrNaN = errors.New("loss is not finite")

func (o *Options) defaults() {
	if o.Batch == 0 {
		o.Batch = 12
	}
	if o.Accum == 0 {
		o.Accum = 1
	}
	if o.LR == 0 {
		o.LR = 1e-3
	}
	if o.MinLR == 0 {
		o.MinLR = o.LR / 10
	}
	if o.DecaySteps == 0 {
		o.DecaySteps = o.Steps
	}
	if o.Warmup > o.DecaySteps {
		o.Warmup = o.DecaySteps
	}
	if o.WeightDecay == 0 {
		o.WeightDecay = 0.1
	}
	if o.WeightDecay < 0 {
		o.WeightDecay = 0
	}
	if o.Beta1 == 0 {
		o.Beta1 = 0.9
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.99
	}
	if o.GradClip == 0 {
		o.GradClip = 1
	}
	if o.EvalEvery == 0 {
		o.EvalEvery = 250
	}
	if o.EvalBatches == 0 {
		o.EvalBatches = 20
	}
	if o.LogEvery == 0 {
		o.LogEvery = 10
	}
	if o.Store == nil {
		o.Store = FileStore{}
	}
}

func (o *Options) validate() error {
	switch {
	case o.Steps <= 0:
		return fmt.Errorf("train: --steps %d must be positive", o.Steps)
	case o.Batch <= 0 || o.Accum <= 0:
		return fmt.Errorf("train: --batch %d and --accum %d must be positive", o.Batch, o.Accum)
	case !(o.LR > 0) || !(o.MinLR >= 0) || o.MinLR > o.LR:
		return fmt.Errorf("train: --lr %g and --min-lr %g: want 0 ≤ min-lr ≤ lr, lr > 0", o.LR, o.MinLR)
	case o.Warmup < 0 || o.EvalEvery < 0 || o.LogEvery < 0 || o.EvalBatches < 0:
		return fmt.Errorf("train: --warmup, --eval-every and the log interval must not be negative")
	case o.OutDir == "":
		return fmt.Errorf("train: no output folder (--out)")
	}
	return nil
}

// Run trains a model on train windows, measuring validation loss on fixed
// windows of val, as nanoGPT's train.py: each step draws Accum micro-batches
// of Batch random windows of Ctx tokens, sums the gradients of their mean
// cross-entropies (each scaled by 1/Accum), clips the global gradient norm,
// and takes an AdamW step (decay on matrices only) at the warmup+cosine
// learning rate. Every EvalEvery steps and at the end it measures the
// validation loss and saves a checkpoint (model, optimizer, step, sampler
// RNG), metrics.jsonl and loss.png in OutDir. A cancelled ctx saves a
// checkpoint after the current step and returns with Interrupted set. A
// non-finite loss stops the run with an error wrapping ErrNaN that names
// the step; the last checkpoint (taken at a finite loss) is kept.
func Run(ctx context.Context, opts Options, trainSrc, valSrc Source) (*Result, error) {
	opts.defaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	cfg := opts.Model.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkSplit("training", trainSrc, cfg.Ctx); err != nil {
		return nil, err
	}
	if err := checkSplit("validation", valSrc, cfg.Ctx); err != nil {
		return nil, err
	}
	if need := cfg.EstimateMemory(opts.Batch); opts.MemoryLimit > 0 && need > opts.MemoryLimit {
		return nil, fmt.Errorf("train: config %s with batch %d needs about %.1f GiB (parameters, gradients, AdamW state and activations), more than the %.1f GiB available: use a smaller model, --batch or --ctx (and --accum for the same tokens per step)",
			cfg, opts.Batch, need/(1<<30), opts.MemoryLimit/(1<<30))
	}
	sched := optim.WarmupCosine{MaxLR: opts.LR, MinLR: opts.MinLR, Warmup: opts.Warmup, DecaySteps: opts.DecaySteps}
	if err := sched.Validate(); err != nil {
		return nil, err
	}

	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	pcg := rand.NewPCG(opts.Seed^0x5851f42d4c957f2d, opts.Seed+1)
	m, err := NewModel(cfg, rng)
	if err != nil {
		return nil, err
	}
	adam := optim.NewAdamW(m.Params(), opts.WeightDecay, optim.DecayMatrices)
	adam.Beta1, adam.Beta2 = opts.Beta1, opts.Beta2
	meta := Meta{Config: cfg, Tokenizer: opts.Tokenizer, Settings: opts.Settings}
	if opts.Resume {
		ck, err := opts.Store.Load(opts.OutDir, &cfg)
		if err != nil {
			return nil, fmt.Errorf("train: resume from %s: %w", opts.OutDir, err)
		}
		if err := restore(ck, m, adam, pcg); err != nil {
			return nil, fmt.Errorf("train: resume from %s: %w", opts.OutDir, err)
		}
		meta = ck.Meta
		if opts.Settings != nil {
			meta.Settings = opts.Settings
		}
		if meta.Step >= opts.Steps {
			return nil, fmt.Errorf("train: the checkpoint in %s is at step %d already; raise --steps above it to train further", opts.OutDir, meta.Step)
		}
	} else if HasCheckpoint(opts.OutDir) {
		return nil, fmt.Errorf("train: %s already holds a checkpoint: pass --resume to continue it, or choose another --out", opts.OutDir)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	metrics, err := openMetrics(filepath.Join(opts.OutDir, "metrics.jsonl"), meta.History)
	if err != nil {
		return nil, err
	}
	defer metrics.Close()

	batchRNG := rand.New(pcg)
	T, B := cfg.Ctx, opts.Batch
	ids, targets := make([]int, B*T), make([]int, B*T)
	valOffs := fixedWindows(valSrc, opts.EvalBatches*B, T)
	tp := ag.NewTape()
	params := m.Params()

	savedAt := meta.Step // the step of the checkpoint on disk (0: none yet)
	save := func() error {
		st, err := pcg.MarshalBinary()
		if err != nil {
			return err
		}
		meta.RNG = st
		meta.AdamSteps = adam.Steps
		ck := &Checkpoint{Meta: meta}
		for i, p := range params {
			ck.Tensors = append(ck.Tensors, checkpoint.Tensor{Name: m.Names()[i], Shape: []int{p.Rows, p.Cols}, Data: p.Data})
		}
		for i, p := range params {
			mom, vel := make([]float32, len(p.Data)), make([]float32, len(p.Data))
			if adam.M != nil && adam.M[i] != nil {
				mom, vel = adam.M[i], adam.V[i]
			}
			ck.Tensors = append(ck.Tensors,
				checkpoint.Tensor{Name: "adam.m." + m.Names()[i], Shape: []int{p.Rows, p.Cols}, Data: mom},
				checkpoint.Tensor{Name: "adam.v." + m.Names()[i], Shape: []int{p.Rows, p.Cols}, Data: vel})
		}
		if err := opts.Store.Save(opts.OutDir, ck); err != nil {
			return err
		}
		savedAt = meta.Step
		return WritePlot(filepath.Join(opts.OutDir, "loss.png"), meta.History)
	}

	res := &Result{Model: m, ValLoss: math.NaN()}
	start, baseSeconds := time.Now(), meta.Seconds
	startStep, startTokens := meta.Step, meta.Tokens
	lastLogTime, lastLogTokens := start, meta.Tokens
	var loss float64
	for meta.Step < opts.Steps {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		step := meta.Step
		lr := sched.LR(step)
		adam.ZeroGrad()
		loss = 0
		for a := 0; a < opts.Accum; a++ {
			randomBatch(batchRNG, trainSrc, ids, targets, B, T)
			l := m.Loss(tp, ids, targets, B)
			scaled := l
			if opts.Accum > 1 {
				scaled = ag.Scale(tp, l, 1/float32(opts.Accum))
			}
			if err := tp.Backward(scaled); err != nil {
				return nil, err
			}
			loss += float64(l.Data[0]) / float64(opts.Accum)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("train: %w at step %d (loss %v); %s: lower --lr or raise --warmup",
				ErrNaN, step+1, loss, kept(savedAt, opts.OutDir))
		}
		if opts.GradClip > 0 {
			if n := optim.ClipGradNorm(params, opts.GradClip); math.IsNaN(n) || math.IsInf(n, 0) {
				return nil, fmt.Errorf("train: %w: gradient norm %v at step %d; %s",
					ErrNaN, n, step+1, kept(savedAt, opts.OutDir))
			}
		}
		adam.Step(lr)
		meta.Step++
		meta.Tokens += int64(opts.Accum * B * T)
		if opts.OnStep != nil {
			opts.OnStep(m, meta.Step, loss)
		}
		last := meta.Step == opts.Steps
		eval := opts.EvalEvery > 0 && (meta.Step%opts.EvalEvery == 0 || last)
		if eval || last || meta.Step%opts.LogEvery == 0 || ctx.Err() != nil {
			now := time.Now()
			meta.Seconds = baseSeconds + now.Sub(start).Seconds()
			mt := Metric{Step: meta.Step, Loss: loss, LR: float64(lr), Seconds: meta.Seconds}
			if dt := now.Sub(lastLogTime).Seconds(); dt > 0 {
				mt.TokS = float64(meta.Tokens-lastLogTokens) / dt
			}
			if eval {
				vl := evalLoss(m, valSrc, valOffs, B, T)
				mt.ValLoss = &vl
				res.ValLoss = vl
			}
			meta.History = append(meta.History, mt)
			if err := logMetric(opts, metrics, mt, startStep, start, now); err != nil {
				return nil, err
			}
			if eval {
				if math.IsNaN(res.ValLoss) || math.IsInf(res.ValLoss, 0) {
					return nil, fmt.Errorf("train: %w: validation loss %v at step %d; %s", ErrNaN, res.ValLoss, meta.Step, kept(savedAt, opts.OutDir))
				}
				if err := save(); err != nil {
					return nil, err
				}
			}
			lastLogTime, lastLogTokens = time.Now(), meta.Tokens
		}
	}
	elapsed := time.Since(start).Seconds()
	if res.Interrupted || opts.EvalEvery == 0 {
		meta.Seconds = baseSeconds + elapsed
		if err := save(); err != nil {
			return nil, err
		}
	}
	res.Step, res.Loss = meta.Step, loss
	res.Seconds = elapsed
	if s := elapsed; s > 0 {
		res.TokS = float64(meta.Tokens-startTokens) / s
	}
	return res, nil
}

// kept describes the checkpoint left on disk after a failed step.
func kept(step int, dir string) string {
	if step == 0 {
		return "no checkpoint was saved yet"
	}
	return fmt.Sprintf("the last good checkpoint (step %d) is kept in %s", step, dir)
}

// evalLoss returns the mean cross-entropy over the fixed validation windows,
// Batch at a time, without a tape.
func evalLoss(m *Model, src Source, offs []int, B, T int) float64 {
	ids, targets := make([]int, B*T), make([]int, B*T)
	buf := make([]int, T+1)
	var sum float64
	n := 0
	for i := 0; i < len(offs); i += B {
		nb := min(B, len(offs)-i)
		for b := 0; b < nb; b++ {
			src.Read(buf, offs[i+b])
			copy(ids[b*T:], buf[:T])
			copy(targets[b*T:], buf[1:])
		}
		l := m.Loss(nil, ids[:nb*T], targets[:nb*T], nb)
		sum += float64(l.Data[0]) * float64(nb)
		n += nb
	}
	return sum / float64(max(n, 1))
}

// restore loads a checkpoint into the model, optimizer and sampler.
func restore(ck *Checkpoint, m *Model, adam *optim.Adam, pcg *rand.PCG) error {
	if ck.Meta.Config != m.Config {
		return fmt.Errorf("the checkpoint is for %s, not %s", ck.Meta.Config, m.Config)
	}
	if err := loadParams(ck, m); err != nil {
		return err
	}
	idx := tensorIndex(ck)
	params := m.Params()
	adam.M, adam.V = make([][]float32, len(params)), make([][]float32, len(params))
	for i, p := range params {
		for _, mv := range []struct {
			prefix string
			dst    [][]float32
		}{{"adam.m.", adam.M}, {"adam.v.", adam.V}} {
			j, ok := idx[mv.prefix+m.Names()[i]]
			if !ok || len(ck.Tensors[j].Data) != len(p.Data) {
				return fmt.Errorf("the checkpoint has no optimizer state %s%s of %d values", mv.prefix, m.Names()[i], len(p.Data))
			}
			mv.dst[i] = ck.Tensors[j].Data
		}
	}
	adam.Steps = ck.Meta.AdamSteps
	return pcg.UnmarshalBinary(ck.Meta.RNG)
}

// openMetrics (re)writes metrics.jsonl with the history of a resumed run
// and returns it open for appending.
func openMetrics(path string, history []Metric) (*os.File, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	enc := json.NewEncoder(f)
	for _, h := range history {
		if err := enc.Encode(h); err != nil {
			f.Close()
			return nil, fmt.Errorf("train: %s: %w", path, err)
		}
	}
	return f, nil
}

// jsonLine is the --json object of a logged step.
type jsonLine struct {
	Step    int      `json:"step"`
	Loss    float64  `json:"loss"`
	ValLoss *float64 `json:"val_loss,omitempty"`
	TokS    float64  `json:"tok_s"`
}

// logMetric writes a logged step to metrics.jsonl, the progress line and the
// JSON stream.
func logMetric(opts Options, metrics io.Writer, mt Metric, startStep int, start, now time.Time) error {
	if err := json.NewEncoder(metrics).Encode(mt); err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	if opts.JSON != nil {
		if err := json.NewEncoder(opts.JSON).Encode(jsonLine{Step: mt.Step, Loss: mt.Loss, ValLoss: mt.ValLoss, TokS: mt.TokS}); err != nil {
			return fmt.Errorf("train: --json output: %w", err)
		}
	}
	if opts.Progress != nil {
		val := ""
		if mt.ValLoss != nil {
			val = fmt.Sprintf(" | val %.4f", *mt.ValLoss)
		}
		eta := "?"
		if done := mt.Step - startStep; done > 0 {
			per := now.Sub(start).Seconds() / float64(done)
			eta = time.Duration(per * float64(opts.Steps-mt.Step) * float64(time.Second)).Round(time.Second).String()
		}
		fmt.Fprintf(opts.Progress, "step %d/%d | loss %.4f%s | %.0f tok/s | lr %.2e | ETA %s\n",
			mt.Step, opts.Steps, mt.Loss, val, mt.TokS, mt.LR, eta)
	}
	return nil
}
