package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Options configures a [Sampler]. The zero value is greedy decoding of the
// raw logits: every processor off, temperature 0.
type Options struct {
	// Temperature divides the logits before the draw; 0 is greedy (argmax,
	// lowest id among ties) and needs no Rand. Must be ≥ 0.
	Temperature float64
	// TopK keeps the K most likely tokens; 0 disables it. Must be ≥ 0.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches TopP; 0 or 1 disables it. Must be in [0,1].
	TopP float64
	// MinP keeps the tokens whose probability is at least MinP times the
	// largest; 0 disables it. Must be in [0,1].
	MinP float64
	// TypicalP is locally typical sampling's mass; 0 or 1 disables it.
	// Must be in [0,1].
	TypicalP float64
	// MinKeep is the fewest tokens top-p, min-p and typical-p keep; 0 means 1.
	MinKeep int

	// RepeatPenalty divides positive logits and multiplies negative ones of
	// the ids in the penalty window; 0 or 1 disables it. Must be ≥ 0.
	RepeatPenalty float64
	// FrequencyPenalty is subtracted from a logit once per occurrence of its
	// id in the window (OpenAI's frequency_penalty; may be negative).
	FrequencyPenalty float64
	// PresencePenalty is subtracted once from the logit of every id present
	// in the window (OpenAI's presence_penalty; may be negative).
	PresencePenalty float64
	// RepeatLastN is the penalty window: the last RepeatLastN ids given to
	// [Sampler.Observe] or [Sampler.Accept]. 0 means 64 (llama.cpp's
	// default), -1 every id so far.
	RepeatLastN int

	// LogitBias is added to the logits of the given ids before anything else
	// but the constraint (-Inf bans a token). Ids outside the vocabulary are
	// an error at Sample time.
	LogitBias map[int]float32

	// Constraint, when set, masks the logits first and is advanced by
	// [Sampler.Accept] (constrained decoding).
	Constraint Constraint

	// Rand is the source of the draw; required when Temperature > 0. Seed it
	// (rand.New(rand.NewPCG(seed, 0))) for reproducible output. A Sampler
	// never uses math/rand's global source.
	Rand *rand.Rand
}

// Constraint restricts which token may come next (a grammar, a JSON schema).
// It is applied before every other processor.
type Constraint interface {
	// Mask sets the logits of tokens that may not come next to -Inf
	// (end-of-generation ids only when the constraint may end there).
	Mask(logits []float32)
	// Accept advances past the chosen id.
	Accept(id int) error
}

// DefaultRepeatLastN is the penalty window RepeatLastN 0 stands for.
const DefaultRepeatLastN = 64

// ErrInvalidOption is wrapped by every error about an invalid option value.
var ErrInvalidOption = errors.New("invalid sampling option")

// Validate reports the first invalid value in o, naming the option.
func (o Options) Validate() error {
	bad := func(name string, v any, why string) error {
		return fmt.Errorf("sample: %s %v %s: %w", name, v, why, ErrInvalidOption)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(o.Temperature) || o.Temperature < 0:
		return bad("Temperature", o.Temperature, "must be a finite number ≥ 0")
	case o.TopK < 0:
		return bad("TopK", o.TopK, "is negative (0 disables top-k)")
	case !finite(o.TopP) || o.TopP < 0 || o.TopP > 1:
		return bad("TopP", o.TopP, "is outside (0,1] (0 disables top-p)")
	case !finite(o.MinP) || o.MinP < 0 || o.MinP > 1:
		return bad("MinP", o.MinP, "is outside [0,1]")
	case !finite(o.TypicalP) || o.TypicalP < 0 || o.TypicalP > 1:
		return bad("TypicalP", o.TypicalP, "is outside (0,1] (0 disables typical-p)")
	case o.MinKeep < 0:
		return bad("MinKeep", o.MinKeep, "is negative")
	case !finite(o.RepeatPenalty) || o.RepeatPenalty < 0:
		return bad("RepeatPenalty", o.RepeatPenalty, "must be a finite number > 0 (1 disables it)")
	case !finite(o.FrequencyPenalty):
		return bad("FrequencyPenalty", o.FrequencyPenalty, "is not finite")
	case !finite(o.PresencePenalty):
		return bad("PresencePenalty", o.PresencePenalty, "is not finite")
	case o.RepeatLastN < -1:
		return bad("RepeatLastN", o.RepeatLastN, "is below -1 (-1: the whole history)")
	case o.Temperature > 0 && o.Rand == nil:
		return fmt.Errorf("sample: Temperature %v needs a Rand (a seeded *rand.Rand): %w", o.Temperature, ErrInvalidOption)
	}
	for id, b := range o.LogitBias {
		if id < 0 {
			return bad("LogitBias id", id, "is negative")
		}
		if math.IsNaN(float64(b)) || math.IsInf(float64(b), 1) {
			return bad(fmt.Sprintf("LogitBias[%d]", id), b, "must be finite or -Inf")
		}
	}
	return nil
}

// Neutral reports whether o leaves the raw logits' argmax as the only
// choice: temperature 0, and no bias, penalty, filter or constraint. Beam
// search, which scores raw log-probabilities, accepts only such options.
func (o Options) Neutral() bool {
	off := func(p float64) bool { return p == 0 || p == 1 }
	return o.Temperature == 0 && o.TopK == 0 && off(o.TopP) && o.MinP == 0 && off(o.TypicalP) &&
		off(o.RepeatPenalty) && o.FrequencyPenalty == 0 && o.PresencePenalty == 0 &&
		len(o.LogitBias) == 0 && o.Constraint == nil
}

// penalties reports whether any penalty is on.
func (o Options) penalties() bool {
	return (o.RepeatPenalty != 0 && o.RepeatPenalty != 1) || o.FrequencyPenalty != 0 || o.PresencePenalty != 0
}

func (o Options) minKeep() int { return max(o.MinKeep, 1) }

func (o Options) window() int {
	if o.RepeatLastN == 0 {
		return DefaultRepeatLastN
	}
	return o.RepeatLastN
}
