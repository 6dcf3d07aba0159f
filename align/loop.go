package align

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/checkpoint"
	"github.com/llmpipe/llmpipe/optim"
	"github.com/llmpipe/llmpipe/train"
)

// Options are the hyperparameters and outputs shared by every method. Zero
// fields take the documented defaults.
type Options struct {
	Steps       int     // optimizer steps (required)
	Batch       int     // rows (SFT), pairs (reward, DPO) or prompts (GRPO) per step (default 8)
	LR          float32 // peak learning rate (default 1e-3); cosine decay to LR/10
	Warmup      int     // linear warmup steps (default Steps/20)
	WeightDecay float32 // AdamW decay on matrices (default 0: none)
	GradClip    float64 // global-norm clip (default 1; negative: none)
	LogEvery    int     // steps between progress lines (default 10)
	EvalEvery   int     // steps between evaluations and checkpoints (default Steps: at the end only)
	Seed        uint64  // batch order and sampling
	OutDir      string  // the checkpoint, metrics.jsonl and loss.png go here ("": nothing written)

	Tokenizer train.TokenizerSpec // recorded in checkpoints (default: the chars of Alphabet)
	Progress  io.Writer           // progress lines (nil: none)
	JSON      io.Writer           // one JSON object per logged step (nil: none)
}

func (o *Options) defaults() error {
	if o.Steps <= 0 {
		return fmt.Errorf("align: --steps %d must be positive", o.Steps)
	}
	if o.Batch == 0 {
		o.Batch = 8
	}
	if o.LR == 0 {
		o.LR = 1e-3
	}
	if o.Warmup == 0 {
		o.Warmup = o.Steps / 20
	}
	if o.GradClip == 0 {
		o.GradClip = 1
	}
	if o.LogEvery <= 0 {
		o.LogEvery = 10
	}
	if o.EvalEvery <= 0 {
		o.EvalEvery = o.Steps
	}
	if o.Tokenizer.Kind == "" {
		_, o.Tokenizer = Tokenizer()
	}
	if o.Batch < 0 || !(o.LR > 0) || o.Warmup < 0 || o.Warmup > o.Steps || o.WeightDecay < 0 {
		return fmt.Errorf("align: --batch %d, --lr %g, --warmup %d, --weight-decay %g: want batch > 0, lr > 0, 0 ≤ warmup ≤ steps, decay ≥ 0",
			o.Batch, o.LR, o.Warmup, o.WeightDecay)
	}
	return nil
}

// ErrNaN is wrapped by the error of a run whose loss became NaN or infinite.
var ErrNaN = errors.New("loss is not finite")

// stepStats is what one optimizer step reports.
type stepStats struct {
	Loss   float64
	Tokens int
	Extra  map[string]float64 // method-specific numbers (margin, reward, KL…)
}

// Result summarizes a finished run.
type Result struct {
	Step        int
	Loss        float64
	Extra       map[string]float64 // the last step's extra numbers
	Eval        map[string]float64 // the last evaluation
	TokS        float64
	Seconds     float64
	Interrupted bool // ctx was cancelled; a checkpoint was saved after the last step
}

// loop runs the optimizer steps of one method: step computes the loss and
// its gradients (summed into params' Grad), the loop clips, takes an AdamW
// step at the warmup+cosine rate, logs, and every EvalEvery steps (and at
// the end) calls eval and save.
type loop struct {
	name   string
	opts   Options
	params []*ag.Var
	step   func(step int, rng *rand.Rand) (stepStats, error)
	eval   func(step int) (map[string]float64, error) // may be nil
	save   func(step int) error                       // may be nil

	adam  *optim.Adam
	sched optim.WarmupCosine
}

// update clips the summed gradients, takes an AdamW step at step's rate and
// zeroes the gradients; it returns the rate.
func (l *loop) update(step int) (float32, error) {
	if norm := optim.ClipGradNorm(l.params, l.opts.GradClip); !finite(norm) {
		return 0, fmt.Errorf("align: %s step %d: gradient norm %v: %w", l.name, step+1, norm, ErrNaN)
	}
	lr := l.sched.LR(step)
	l.adam.Step(lr)
	l.adam.ZeroGrad()
	return lr, nil
}

func (l *loop) run(ctx context.Context) (*Result, error) {
	o := l.opts
	l.adam = optim.NewAdamW(l.params, o.WeightDecay, optim.DecayMatrices)
	l.sched = optim.WarmupCosine{MaxLR: o.LR, MinLR: o.LR / 10, Warmup: o.Warmup, DecaySteps: o.Steps}
	l.adam.ZeroGrad()
	rng := rand.New(rand.NewPCG(o.Seed, 0xa119))
	var metrics io.Writer = io.Discard
	if o.OutDir != "" {
		if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("align: %w", err)
		}
		f, err := os.Create(filepath.Join(o.OutDir, "metrics.jsonl"))
		if err != nil {
			return nil, fmt.Errorf("align: %w", err)
		}
		defer f.Close()
		metrics = f
	}
	res := &Result{}
	var history []train.Metric
	save := func(step int) error {
		if l.save == nil || o.OutDir == "" {
			return nil
		}
		if err := l.save(step); err != nil {
			return err
		}
		if len(history) > 0 {
			if err := train.WritePlot(filepath.Join(o.OutDir, "loss.png"), history); err != nil {
				return fmt.Errorf("align: loss plot: %w", err)
			}
		}
		return nil
	}
	start := time.Now()
	tokens := 0
	finish := func(step int) error {
		if l.eval != nil {
			ev, err := l.eval(step)
			if err != nil {
				return err
			}
			res.Eval = ev
			if v, ok := ev["val_loss"]; ok && len(history) > 0 {
				// loss.png draws the validation curve from the history
				last := &history[len(history)-1]
				if last.Step != step {
					history = append(history, train.Metric{Step: step, Loss: last.Loss, TokS: last.TokS, LR: last.LR, Seconds: res.Seconds})
					last = &history[len(history)-1]
				}
				last.ValLoss = &v
			}
			if err := writeLine(metrics, o.JSON, withStep(ev, step, "eval")); err != nil {
				return err
			}
			if o.Progress != nil {
				fmt.Fprintf(o.Progress, "%s eval at step %d |%s\n", l.name, step, formatExtra(ev))
			}
		}
		return save(step)
	}
	for step := 0; step < o.Steps; step++ {
		st, err := l.step(step, rng)
		if err != nil {
			return nil, err
		}
		if !finite(st.Loss) {
			return nil, fmt.Errorf("align: %s step %d: %w (%v)", l.name, step+1, ErrNaN, st.Loss)
		}
		lr, err := l.update(step)
		if err != nil {
			return nil, err
		}
		tokens += st.Tokens
		res.Step, res.Loss, res.Extra = step+1, st.Loss, st.Extra
		res.Seconds = time.Since(start).Seconds()
		if res.Seconds > 0 {
			res.TokS = float64(tokens) / res.Seconds
		}
		if (step+1)%o.LogEvery == 0 || step+1 == o.Steps {
			line := withStep(st.Extra, step+1, "")
			line["loss"], line["tok_s"], line["lr"] = st.Loss, res.TokS, float64(lr)
			history = append(history, train.Metric{Step: step + 1, Loss: st.Loss, TokS: res.TokS, LR: float64(lr), Seconds: res.Seconds})
			if err := writeLine(metrics, o.JSON, line); err != nil {
				return nil, err
			}
			if o.Progress != nil {
				eta := time.Duration(res.Seconds / float64(step+1) * float64(o.Steps-step-1) * float64(time.Second)).Round(time.Second)
				fmt.Fprintf(o.Progress, "%s step %d/%d | loss %.4f |%s | %.0f tok/s | lr %.2e | ETA %s\n",
					l.name, step+1, o.Steps, st.Loss, formatExtra(st.Extra), res.TokS, lr, eta)
			}
		}
		if ctx.Err() != nil {
			res.Interrupted = true
			return res, save(step + 1)
		}
		if (step+1)%o.EvalEvery == 0 || step+1 == o.Steps {
			if err := finish(step + 1); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

func withStep(m map[string]float64, step int, kind string) map[string]any {
	out := map[string]any{"step": step}
	if kind != "" {
		out["kind"] = kind
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func writeLine(metrics, jsonOut io.Writer, line map[string]any) error {
	for _, w := range []io.Writer{metrics, jsonOut} {
		if w == nil {
			continue
		}
		if err := json.NewEncoder(w).Encode(line); err != nil {
			return fmt.Errorf("align: metrics: %w", err)
		}
	}
	return nil
}

func formatExtra(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, " %s %.4g", k, m[k])
	}
	return sb.String()
}

// SaveModel writes m to dir's checkpoint (package train's format, atomic),
// so that train.LoadModel, llmpipe run and the exporters read it; extra
// tensors (a reward head) are stored after the parameters, which
// train.LoadModel skips.
func SaveModel(dir string, m *train.Model, spec train.TokenizerSpec, step int, extra ...checkpoint.Tensor) error {
	ck := &train.Checkpoint{Meta: train.Meta{Config: m.Config, Step: step, Tokenizer: spec}}
	for i, p := range m.Params() {
		ck.Tensors = append(ck.Tensors, checkpoint.Tensor{Name: m.Names()[i], Shape: []int{p.Rows, p.Cols}, Data: p.Data})
	}
	ck.Tensors = append(ck.Tensors, extra...)
	if err := (train.FileStore{}).Save(dir, ck); err != nil {
		return fmt.Errorf("align: saving %s: %w", dir, err)
	}
	return nil
}
