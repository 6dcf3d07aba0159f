package generate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// BeamOptions configures beam search as HF transformers' BeamSearchScorer
// does it. The zero value (Width 0) means no beam search.
type BeamOptions struct {
	// Width is the number of beams kept at each step (num_beams).
	Width int
	// N is the number of sequences returned, best first
	// (num_return_sequences); 0 means Width. At most Width.
	N int
	// LengthPenalty is α: finished sequences are ranked by
	// Score / len(IDs)^α. 0 ranks by the plain sum; HF's default is 1.
	LengthPenalty float64
	// EarlyStopping ends the search as soon as Width sequences have
	// finished (HF early_stopping=True). When false, the search ends once no
	// running beam can still beat the worst finished one, judged as HF does
	// by its current score over its current length^α.
	EarlyStopping bool
}

// Beam is one sequence found by beam search.
type Beam struct {
	// IDs are the generated ids (an end-of-generation id is not included).
	IDs []int
	// Text is the text of IDs.
	Text string
	// Score is the sum of the log-probabilities (log-softmax of the raw
	// logits) of IDs, plus the end-of-generation id's when Stop is StopEOG.
	Score float64
	// NormScore is Score / max(len(IDs),1)^LengthPenalty, the rank.
	NormScore float64
	// LogProbs are IDs' log-probabilities, one per id.
	LogProbs []float64
	// Stop is StopEOG, StopString, StopMaxTokens or StopContext.
	Stop StopReason
	// StopString is the stop string that ended the beam (its Text is cut
	// before it; IDs include the id that completed it).
	StopString string
}

func (b BeamOptions) check(opts Options) error {
	switch {
	case b.Width < 0:
		return fmt.Errorf("generate: beam width %d is negative", b.Width)
	case b.Width == 0:
		return nil
	case b.N < 0 || b.N > b.Width:
		return fmt.Errorf("generate: %d beams returned, beam width %d (want 0..width)", b.N, b.Width)
	case math.IsNaN(b.LengthPenalty) || math.IsInf(b.LengthPenalty, 0):
		return fmt.Errorf("generate: beam length penalty %v is not finite", b.LengthPenalty)
	case !opts.Sample.Neutral():
		return errors.New("generate: beam search scores the raw log-probabilities; it takes no sampling options (temperature, top-k/p, min-p, typical-p, penalties, logit bias, constraint)")
	case opts.LogProbs:
		return errors.New("generate: per-step logprobs are not reported for beam search (each Beam has its ids' LogProbs)")
	}
	return nil
}

// SequenceCloner is model.Cloner: a model.Sequence that can copy itself
// (its KV cache and position). Beam search uses it, when the model's
// sequences have it (llama's do), to fork a beam without re-running its
// prefix.
type SequenceCloner = model.Cloner

// beam is one running hypothesis: its ids, their log-probabilities, its
// sequence (prompt + ids cached) and the logits after its last id.
type beam struct {
	ids    []int
	lps    []float64
	score  float64
	seq    model.Sequence
	logits []float32
}

// beamCand is one possible extension of a running beam.
type beamCand struct {
	parent int
	id     int
	lp     float64
	score  float64
}

// beamSearch runs beam search (HF transformers' BeamSearchScorer: at each
// step the best candidates over all beams by total log-probability; a
// candidate that is an end-of-generation id, or whose text reaches a stop
// string, among the first Width finishes its beam; the other best Width
// continue).
//
// Each beam has its own model.Sequence. When two beams continue from the
// same parent, the first takes the parent's sequence; the second gets a
// copy when the sequence is a model.Cloner (llama's share the KV cache's
// full chunks and copy at most one chunk per layer), so every step runs
// one position per beam. A sequence that cannot clone makes the second
// child a fresh Sequence that re-runs prompt + parent's ids + its new id as
// one batched prefill: up to (Width−1)·(prompt + generated) extra positions
// per step, quadratic in the length of the search. Width 1 never forks, so
// it is exactly greedy decoding. (The batched re-run rounds a few logits
// differently from one-position steps, so scores without Clone may differ
// from those with it by float32 rounding, ~1e-6.)
func beamSearch(ctx context.Context, m model.Model, tok tokenizer.Tokenizer, promptIDs []int, opts Options) (*Result, error) {
	bo := opts.Beam
	W, N := bo.Width, bo.N
	if N == 0 {
		N = W
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	eog := tok.Specials().EndIDs()
	seqOpts := model.SequenceOptions{KVF16: opts.KVF16}
	res := &Result{PromptIDs: slices.Clone(promptIDs)}

	seq := m.NewSequence(seqOpts)
	start := now()
	logits, err := seq.Forward(promptIDs, false)
	if err != nil {
		return nil, fmt.Errorf("generate: prompt: %w", err)
	}
	if d := now().Sub(start).Seconds(); d > 0 {
		res.PromptTokS = float64(len(promptIDs)) / d
	}
	beams := []beam{{seq: seq, logits: slices.Clone(logits)}}
	var done []Beam // finished hypotheses, at most W, any order
	norm := func(score float64, n int) float64 {
		return score / math.Pow(float64(max(n, 1)), bo.LengthPenalty)
	}
	add := func(b beam, score float64, stop StopReason) {
		h := Beam{IDs: slices.Clone(b.ids), LogProbs: slices.Clone(b.lps), Score: score, NormScore: norm(score, len(b.ids)), Stop: stop}
		if len(done) == W {
			worst := 0
			for i := range done {
				if done[i].NormScore < done[worst].NormScore {
					worst = i
				}
			}
			if !(h.NormScore > done[worst].NormScore) {
				return
			}
			done = slices.Delete(done, worst, worst+1)
		}
		done = append(done, h)
	}

	perBeam := max(2*W, W+len(eog))
	genStart, steps := now(), 0
	stop := StopMaxTokens
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var cands []beamCand
		for bi, b := range beams {
			lse := sample.LogSumExp(b.logits)
			for _, c := range sample.TopLogits(b.logits, perBeam) {
				lp := float64(c.Logit) - lse
				cands = append(cands, beamCand{parent: bi, id: c.ID, lp: lp, score: b.score + lp})
			}
		}
		slices.SortFunc(cands, func(a, b beamCand) int {
			if a.score != b.score {
				return -cmp.Compare(a.score, b.score)
			}
			if a.parent != b.parent {
				return cmp.Compare(a.parent, b.parent)
			}
			return cmp.Compare(a.id, b.id)
		})
		var next []beamCand
		for rank, c := range cands {
			if slices.Contains(eog, c.id) {
				if rank < W {
					add(beams[c.parent], c.score, StopEOG)
				}
				continue
			}
			if len(opts.Stop) > 0 {
				// A beam whose text reaches a stop string ends there, like
				// one that ends with an end-of-generation id.
				p := beams[c.parent]
				ext := beam{ids: append(slices.Clone(p.ids), c.id), lps: append(slices.Clone(p.lps), c.lp)}
				t, err := continuation(tok, promptIDs, ext.ids)
				if err != nil {
					return nil, err
				}
				if _, at := firstStop(t, opts.Stop); at >= 0 {
					if rank < W {
						add(ext, c.score, StopString)
					}
					continue
				}
			}
			next = append(next, c)
			if len(next) == W {
				break
			}
		}
		if len(next) == 0 {
			stop = "" // every candidate ended its beam
			break
		}
		newLen := len(beams[0].ids) + 1
		if len(done) == W && (bo.EarlyStopping || (len(next) > 0 && !(norm(next[0].score, newLen) > minNorm(done)))) {
			stop = "" // done: the running beams are not candidates
			break
		}
		// Extend: each parent's sequence goes to its first child; later
		// children get a clone of it, or re-run the parent's prefix in a
		// fresh sequence when it cannot clone.
		claimed := make([]bool, len(beams))
		nb := make([]beam, len(next))
		for i, c := range next {
			p := beams[c.parent]
			nb[i] = beam{
				ids:   append(slices.Clip(slices.Clone(p.ids)), c.id),
				lps:   append(slices.Clip(slices.Clone(p.lps)), c.lp),
				score: c.score,
			}
		}
		atLimit := opts.MaxTokens > 0 && newLen >= opts.MaxTokens
		full := len(promptIDs)+newLen > m.ContextLength()
		if atLimit || full {
			beams = nb
			if !atLimit {
				stop = StopContext
			}
			break
		}
		// Sequences first (clones must copy the parent before its first
		// child's id goes in), then one Forward each.
		feeds := make([][]int, len(next))
		for i, c := range next {
			parent := beams[c.parent].seq
			switch cl, ok := parent.(model.Cloner); {
			case !claimed[c.parent]:
				claimed[c.parent] = true
				nb[i].seq, feeds[i] = parent, []int{c.id}
			case ok:
				nb[i].seq, feeds[i] = cl.Clone(), []int{c.id}
			default:
				nb[i].seq = m.NewSequence(seqOpts)
				feeds[i] = append(slices.Clone(promptIDs), nb[i].ids...)
			}
		}
		for i := range next {
			l, err := nb[i].seq.Forward(feeds[i], false)
			if err != nil {
				return nil, fmt.Errorf("generate: beam step %d: %w", newLen, err)
			}
			nb[i].logits = append(nb[i].logits[:0], l...)
		}
		beams = nb
		steps++
	}
	if stop != "" {
		for _, b := range beams {
			add(b, b.score, stop)
		}
	}
	if d := now().Sub(genStart).Seconds(); steps > 0 && d > 0 {
		res.GenTokS = float64(steps) / d
	}
	if len(done) == 0 {
		return nil, errors.New("generate: beam search finished no sequence")
	}
	slices.SortStableFunc(done, func(a, b Beam) int { return -cmp.Compare(a.NormScore, b.NormScore) })
	done = done[:min(N, len(done))]
	for i := range done {
		t, err := continuation(tok, promptIDs, done[i].IDs)
		if err != nil {
			return nil, err
		}
		if stop, at := firstStop(t, opts.Stop); at >= 0 {
			t, done[i].StopString = t[:at], stop
		}
		done[i].Text = t
	}
	res.Beams = done
	best := done[0]
	res.IDs, res.Text, res.Stop, res.StopString = slices.Clone(best.IDs), best.Text, best.Stop, best.StopString
	if opts.OnText != nil && best.Text != "" {
		if err := opts.OnText(best.Text); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func minNorm(done []Beam) float64 {
	w := math.Inf(1)
	for _, d := range done {
		w = min(w, d.NormScore)
	}
	return w
}

// continuation decodes ids as the continuation of prompt, as Run streams it.
func continuation(tok tokenizer.Tokenizer, prompt, ids []int) (string, error) {
	d := tokenizer.NewStreamDecoder(tok, tokenizer.DecodeOptions{SkipSpecial: true})
	if err := d.Prime(prompt); err != nil {
		return "", fmt.Errorf("generate: decoding the prompt: %w", err)
	}
	var out []byte
	for _, id := range ids {
		s, err := d.Add(id)
		if err != nil {
			return "", fmt.Errorf("generate: decoding id %d: %w", id, err)
		}
		out = append(out, s...)
	}
	s, err := d.Flush()
	if err != nil {
		return "", fmt.Errorf("generate: decoding: %w", err)
	}
	return string(append(out, s...)), nil
}

// firstStop returns the stop string that occurs first in t (the longer one
// among those starting at the same byte) and where; at is -1 when none does.
func firstStop(t string, stops []string) (stop string, at int) {
	at = -1
	for _, st := range stops {
		if i := strings.Index(t, st); i >= 0 && (at < 0 || i < at || (i == at && len(st) > len(stop))) {
			stop, at = st, i
		}
	}
	return stop, at
}
