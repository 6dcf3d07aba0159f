package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of each optimizer step (0-based).
type Schedule interface {
	LR(step int) float32
}

// Constant is a fixed learning rate.
type Constant float32

// LR implements Schedule.
func (c Constant) LR(int) float32 { return float32(c) }

// WarmupCosine is nanoGPT's schedule (train.py get_lr): a linear warmup to
// MaxLR over the first Warmup steps, then a cosine decay to MinLR at step
// DecaySteps, and MinLR after it:
//
//	step < Warmup:           MaxLR·(step + 1)/(Warmup + 1)
//	step > DecaySteps:       MinLR
//	otherwise, r = (step − Warmup)/(DecaySteps − Warmup):
//	                         MinLR + ½(1 + cos πr)·(MaxLR − MinLR)
//
// Warmup 0 starts at MaxLR. MinLR = MaxLR with DecaySteps ≥ the run's
// length is a linear warmup to a constant.
type WarmupCosine struct {
	MaxLR, MinLR       float32
	Warmup, DecaySteps int
}

// Validate reports a schedule whose steps do not make sense.
func (s WarmupCosine) Validate() error {
	if s.Warmup < 0 || s.DecaySteps < s.Warmup || s.MaxLR < 0 || s.MinLR < 0 {
		return fmt.Errorf("optim: WarmupCosine warmup %d, decay steps %d, lr %g..%g: want 0 ≤ warmup ≤ decay steps and non-negative rates",
			s.Warmup, s.DecaySteps, s.MinLR, s.MaxLR)
	}
	return nil
}

// LR implements Schedule.
func (s WarmupCosine) LR(step int) float32 {
	if step < s.Warmup {
		return s.MaxLR * float32(step+1) / float32(s.Warmup+1)
	}
	if step > s.DecaySteps || s.DecaySteps == s.Warmup {
		return s.MinLR
	}
	r := float64(step-s.Warmup) / float64(s.DecaySteps-s.Warmup)
	c := 0.5 * (1 + math.Cos(math.Pi*r))
	return float32(float64(s.MinLR) + c*float64(s.MaxLR-s.MinLR))
}
