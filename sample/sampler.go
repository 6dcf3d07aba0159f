package sample

import (
	"fmt"
	"math"
	"slices"

	"github.com/llmpipe/llmpipe/kernels"
)

// Sampler picks token ids from logits with one Options. It keeps the penalty
// window and the constraint's state, so use one Sampler per sequence. It is
// not safe for concurrent use.
type Sampler struct {
	o      Options
	hist   []int // recent ids, oldest first (the last o.window() count)
	counts map[int]int
	buf    []float32
	cands  []Candidate
	probs  []float64
}

// New returns a Sampler for o, or an error naming the first invalid option.
func New(o Options) (*Sampler, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Sampler{o: o, counts: map[int]int{}}, nil
}

// Options returns the options the Sampler was made with.
func (s *Sampler) Options() Options { return s.o }

// Observe adds ids to the penalty window without advancing the constraint:
// the prompt, as llama.cpp's llama-cli and llama-server feed it.
func (s *Sampler) Observe(ids ...int) {
	s.hist = append(s.hist, ids...)
	if n := s.o.window(); n >= 0 && len(s.hist) > 2*n+64 {
		s.hist = append(s.hist[:0], s.hist[len(s.hist)-n:]...)
	}
}

// Accept records the chosen id: it enters the penalty window and the
// constraint (if any) advances past it.
func (s *Sampler) Accept(id int) error {
	if id < 0 {
		return fmt.Errorf("sample: Accept of negative id %d", id)
	}
	s.Observe(id)
	if s.o.Constraint != nil {
		if err := s.o.Constraint.Accept(id); err != nil {
			return fmt.Errorf("sample: constraint refused id %d: %w", id, err)
		}
	}
	return nil
}

// window returns the ids the penalties look at.
func (s *Sampler) window() []int {
	n := s.o.window()
	if n < 0 || n >= len(s.hist) {
		return s.hist
	}
	return s.hist[len(s.hist)-n:]
}

// Sample returns the next id for logits ([VocabSize], left unchanged). It
// does not Accept it. Every token masked or banned is an error wrapping
// ErrNoCandidates; NaN or +Inf logits are errors too.
func (s *Sampler) Sample(logits []float32) (int, error) {
	c, chosen, err := s.process(logits, true)
	if err != nil {
		return -1, err
	}
	if chosen >= 0 {
		return chosen, nil
	}
	id, buf := draw(c, s.o.Rand, s.probs)
	s.probs = buf
	return id, nil
}

// Distribution returns the candidates left after every processor (logits
// scaled by the temperature) and the probabilities the draw would use, in
// the same order; at temperature 0 it is the one greedy id with
// probability 1.
func (s *Sampler) Distribution(logits []float32) ([]Candidate, []float64, error) {
	c, greedy, err := s.process(logits, false)
	if err != nil {
		return nil, nil, err
	}
	if greedy >= 0 {
		return []Candidate{{ID: greedy, Logit: logits[greedy]}}, []float64{1}, nil
	}
	c = append([]Candidate(nil), c...)
	return c, Softmax(c), nil
}

// process runs the chain up to the draw. At temperature 0 it returns the
// chosen id (and no candidates); otherwise the candidates, scaled by the
// temperature, and -1. With draw set and no filter on, it draws straight
// from the logits (the same id the candidates would give) and returns it.
func (s *Sampler) process(logits []float32, draw bool) ([]Candidate, int, error) {
	o := &s.o
	if len(logits) == 0 {
		return nil, -1, fmt.Errorf("sample: empty logits")
	}
	// Copy the logits only when something changes them.
	buf := logits
	if o.Constraint != nil || len(o.LogitBias) > 0 || o.penalties() {
		s.buf = append(s.buf[:0], logits...)
		buf = s.buf
	}
	if o.Constraint != nil {
		o.Constraint.Mask(buf)
	}
	if err := ApplyLogitBias(buf, o.LogitBias); err != nil {
		return nil, -1, err
	}
	if o.penalties() {
		clear(s.counts)
		for _, id := range s.window() {
			s.counts[id]++
		}
		rp := float32(o.RepeatPenalty)
		if rp == 0 {
			rp = 1
		}
		if err := ApplyPenalties(buf, s.counts, rp, float32(o.FrequencyPenalty), float32(o.PresencePenalty)); err != nil {
			return nil, -1, err
		}
	}
	// Top-k, top-p and min-p always keep the most likely token, so greedy
	// decoding without typical-p is the argmax of buf.
	typical := o.TypicalP > 0 && o.TypicalP < 1
	if o.Temperature == 0 && !typical {
		id, err := argmaxLogits(buf)
		return nil, id, err
	}
	if draw && o.TopK == 0 && !typical && (o.TopP == 0 || o.TopP == 1) && o.MinP == 0 {
		id, err := s.drawLogits(buf)
		return nil, id, err
	}
	var c []Candidate
	var err error
	ok := false
	if o.TopK == 0 && !typical && (o.TopP == 0 || o.TopP == 1) && o.MinP > 0 {
		// Min-p is the only filter: build only the candidates it keeps.
		c, ok, err = minPLogits(s.cands[:0], buf, o.MinP, o.minKeep())
	}
	switch {
	case ok || err != nil:
	case o.TopK > 0 && o.TopK < len(buf):
		c, err = topKLogits(s.cands[:0], buf, o.TopK)
	default:
		c, err = Candidates(s.cands[:0], buf)
		c = TopK(c, o.TopK)
	}
	if cap(c) > cap(s.cands) {
		s.cands = c[:0]
	}
	if err != nil {
		return nil, -1, err
	}
	if len(c) == 0 {
		return nil, -1, fmt.Errorf("sample: %w", ErrNoCandidates)
	}
	c = TypicalP(c, o.TypicalP, o.minKeep())
	c = TopP(c, o.TopP, o.minKeep())
	c = MinP(c, o.MinP, o.minKeep())
	if o.Temperature == 0 {
		return nil, Argmax(c), nil
	}
	ApplyTemperature(c, o.Temperature)
	return c, -1, nil
}

// argmaxLogits returns the index of the largest logit, the lowest among
// equal ones; NaN or +Inf is an error, and all -Inf is ErrNoCandidates.
//
// Logits that are all finite (a model's usual output) take a faster scan,
// kernels.ArgmaxFinite; any NaN or infinity sends the logits to
// argmaxScan, the logit-by-logit definition, for its exact index or error.
func argmaxLogits(x []float32) (int, error) {
	if i, ok := kernels.ArgmaxFinite(x); ok {
		return i, nil
	}
	return argmaxScan(x)
}

// argmaxScan is argmaxLogits logit by logit, its definition.
func argmaxScan(x []float32) (int, error) {
	best := -1
	bv := float32(math.Inf(-1))
	for i, v := range x {
		if v != v || v > math.MaxFloat32 {
			return -1, fmt.Errorf("sample: logit of id %d is %v", i, v)
		}
		if v > bv {
			best, bv = i, v
		}
	}
	if best < 0 {
		return -1, fmt.Errorf("sample: %w", ErrNoCandidates)
	}
	return best, nil
}

// drawLogits is Draw(ApplyTemperature(Candidates(logits))) without the
// candidate list: the same probabilities, in id order.
func (s *Sampler) drawLogits(logits []float32) (int, error) {
	tf := float32(s.o.Temperature)
	mx, err := argmaxLogits(logits)
	if err != nil {
		return -1, err
	}
	m := float64(logits[mx] / tf)
	s.probs = slices.Grow(s.probs[:0], len(logits))[:len(logits)]
	var sum float64
	for i, v := range logits {
		p := math.Exp(float64(v/tf) - m)
		s.probs[i] = p
		sum += p
	}
	target := s.o.Rand.Float64() * sum
	var run float64
	last := mx
	for i, p := range s.probs {
		if p > 0 {
			last = i
		}
		run += p
		if run > target {
			return i, nil
		}
	}
	return last, nil
}
