package generate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// ErrContextExceeded is returned (wrapped) when the prompt does not fit in the
// model's context.
var ErrContextExceeded = errors.New("prompt exceeds the context length")

// Options controls one generation. The zero value decodes greedily until an
// end-of-generation token or the end of the context, with an f32 KV cache.
type Options struct {
	// MaxTokens is the most ids to generate; 0 means no limit but the context.
	MaxTokens int
	// KVF16 keeps the KV cache in float16, as llama.cpp does by default.
	KVF16 bool
	// ParseSpecial makes special-token text in the prompt ("<|im_start|>")
	// encode as the special token (llama.cpp's parse_special).
	ParseSpecial bool
	// OnText, when set, receives the generated text as it streams, in pieces
	// that never split a UTF-8 character and never hold any part of a stop
	// string. An error from it stops generation and is returned. With beam
	// search it is called once, with the best beam's text, at the end.
	OnText func(string) error
	// Now is the clock for the speed figures; nil means time.Now.
	Now func() time.Time

	// Sample chooses each id (package sample's chain); the zero value is
	// greedy decoding. The prompt ids enter its penalty window. Its
	// Constraint, if any, is advanced past every generated id, but not past
	// an end-of-generation id: generation ends there.
	Sample sample.Options
	// Stop lists strings that end generation when the generated text
	// contains one, even across token boundaries. Neither the stop string
	// nor anything after it is emitted or kept in Result.Text; text that
	// could be the start of a stop string is held back until it is not.
	Stop []string
	// LogProbs records, for each generated id, its log-probability under
	// the model's raw distribution and the TopLogProbs most likely ids'
	// (OpenAI's logprobs / top_logprobs).
	LogProbs    bool
	TopLogProbs int
	// Beam, when Beam.Width > 0, runs beam search instead of sampling.
	Beam BeamOptions
}

// StopReason says why generation ended.
type StopReason string

// Stop reasons.
const (
	StopEOG       StopReason = "eog"         // an end-of-generation id (not included in IDs)
	StopString    StopReason = "stop_string" // a stop string (Result.StopString) appeared in the text
	StopMaxTokens StopReason = "max_tokens"  // Options.MaxTokens reached
	StopContext   StopReason = "context"     // the context is full
)

// FinishReason is OpenAI's finish_reason for r: "stop" for an
// end-of-generation id or a stop string, "length" for the token limit or a
// full context.
func (r StopReason) FinishReason() string {
	switch r {
	case StopEOG, StopString:
		return "stop"
	case StopMaxTokens, StopContext:
		return "length"
	}
	return string(r)
}

// TopLogProb is one alternative id at a generation step.
type TopLogProb struct {
	ID      int
	Token   string // the id's text (decoded after the previous id, so a leading space stays)
	LogProb float64
}

// TokenLogProbs is one generated id's log-probability and the most likely
// alternatives at its step, from the log-softmax of the raw logits.
type TokenLogProbs struct {
	TopLogProb
	Top []TopLogProb
}

// Result is what one generation produced.
type Result struct {
	// PromptIDs are the prompt's ids, BOS included when the vocabulary adds it.
	PromptIDs []int
	// IDs are the generated ids (an end-of-generation id is not included;
	// the id that completed a stop string is).
	IDs []int
	// Text is the text of IDs as it streamed (the prompt is not repeated),
	// cut before a stop string.
	Text string
	// PromptTokS and GenTokS are prompt-processing and generation speeds in
	// tokens per second (0 when nothing was timed).
	PromptTokS, GenTokS float64
	// Stop says why generation ended; Stop.FinishReason() is OpenAI's name.
	Stop StopReason
	// StopString is the stop string found when Stop is StopString.
	StopString string
	// LogProbs has one entry per id in IDs when Options.LogProbs is set.
	LogProbs []TokenLogProbs
	// Beams are beam search's sequences, best first (IDs, Text and Stop
	// are the first one's).
	Beams []Beam
}

// Greedy generates a continuation of prompt with m, always taking the id with
// the highest logit (the lowest id among equal ones, as argmax does): RunText
// at temperature 0 (opts.Sample's other processors, such as penalties,
// still apply). ctx is checked between tokens.
func Greedy(ctx context.Context, m model.Model, tok tokenizer.Tokenizer, prompt string, opts Options) (*Result, error) {
	opts.Sample.Temperature = 0
	return RunText(ctx, m, tok, prompt, opts)
}

// GreedyIDs is Greedy from prompt ids that are already tokenized.
func GreedyIDs(ctx context.Context, m model.Model, tok tokenizer.Tokenizer, promptIDs []int, opts Options) (*Result, error) {
	opts.Sample.Temperature = 0
	return Run(ctx, m, tok, promptIDs, opts)
}

// RunText tokenizes prompt (BOS as the vocabulary says, special-token text
// as opts.ParseSpecial says) and calls Run.
func RunText(ctx context.Context, m model.Model, tok tokenizer.Tokenizer, prompt string, opts Options) (*Result, error) {
	ids, err := tok.Encode(prompt, tokenizer.EncodeOptions{AddSpecial: true, ParseSpecial: opts.ParseSpecial})
	if err != nil {
		return nil, fmt.Errorf("generate: tokenizing the prompt: %w", err)
	}
	return Run(ctx, m, tok, ids, opts)
}

// Run generates a continuation of promptIDs with m: one batched prefill,
// then one id at a time chosen by opts.Sample (or beam search, when
// opts.Beam.Width > 0), streamed as text through tokenizer.StreamDecoder. It
// stops at any of the tokenizer's end-of-generation ids (EOS and Specials.EOG),
// a stop string, opts.MaxTokens or a full context. ctx is checked between
// tokens.
func Run(ctx context.Context, m model.Model, tok tokenizer.Tokenizer, promptIDs []int, opts Options) (*Result, error) {
	if err := checkOptions(m, promptIDs, opts); err != nil {
		return nil, err
	}
	if opts.Beam.Width > 0 {
		return beamSearch(ctx, m, tok, promptIDs, opts)
	}
	sampler, err := sample.New(opts.Sample)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	sampler.Observe(promptIDs...)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	res := &Result{PromptIDs: slices.Clone(promptIDs)}
	eog := tok.Specials().EndIDs()

	// The stream decoder first sees the prompt, so that the first generated
	// token decodes in context (SentencePiece drops the leading space of a
	// text's first token, not of a continuation's).
	stream := tokenizer.NewStreamDecoder(tok, tokenizer.DecodeOptions{SkipSpecial: true})
	if err := stream.Prime(promptIDs); err != nil {
		return nil, fmt.Errorf("generate: decoding the prompt: %w", err)
	}
	var text []byte
	stops := NewStopper(opts.Stop, func(s string) error {
		text = append(text, s...)
		if opts.OnText != nil {
			return opts.OnText(s)
		}
		return nil
	})

	seq := m.NewSequence(model.SequenceOptions{KVF16: opts.KVF16})
	start := now()
	logits, err := seq.Forward(promptIDs, false)
	if err != nil {
		return nil, fmt.Errorf("generate: prompt: %w", err)
	}
	if d := now().Sub(start).Seconds(); d > 0 {
		res.PromptTokS = float64(len(promptIDs)) / d
	}

	genStart := now()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id, err := sampler.Sample(logits)
		if err != nil {
			return nil, fmt.Errorf("generate: step %d: %w", len(res.IDs), err)
		}
		if slices.Contains(eog, id) {
			res.Stop = StopEOG
			break
		}
		if opts.LogProbs {
			prev := promptIDs[len(promptIDs)-1]
			if n := len(res.IDs); n > 0 {
				prev = res.IDs[n-1]
			}
			lp, err := tokenLogProbs(tok, logits, prev, id, opts.TopLogProbs)
			if err != nil {
				return nil, fmt.Errorf("generate: step %d: %w", len(res.IDs), err)
			}
			res.LogProbs = append(res.LogProbs, lp)
		}
		if err := sampler.Accept(id); err != nil {
			return nil, fmt.Errorf("generate: step %d: %w", len(res.IDs), err)
		}
		res.IDs = append(res.IDs, id)
		s, err := stream.Add(id)
		if err != nil {
			return nil, fmt.Errorf("generate: decoding id %d: %w", id, err)
		}
		stopped, err := stops.Push(s)
		if err != nil {
			return nil, err
		}
		if stopped {
			res.Stop, res.StopString = StopString, stops.Hit()
			break
		}
		if opts.MaxTokens > 0 && len(res.IDs) >= opts.MaxTokens {
			res.Stop = StopMaxTokens
			break
		}
		if seq.Len() >= m.ContextLength() {
			res.Stop = StopContext
			break
		}
		if logits, err = seq.Forward([]int{id}, false); err != nil {
			return nil, fmt.Errorf("generate: step %d: %w", len(res.IDs), err)
		}
	}
	// Forward calls after the first id: the first comes from the prefill.
	if n, d := len(res.IDs)-1, now().Sub(genStart).Seconds(); n > 0 && d > 0 {
		res.GenTokS = float64(n) / d
	}
	if res.Stop != StopString {
		s, err := stream.Flush()
		if err != nil {
			return nil, fmt.Errorf("generate: decoding: %w", err)
		}
		stopped, err := stops.Push(s)
		if err != nil {
			return nil, err
		}
		if stopped {
			res.Stop, res.StopString = StopString, stops.Hit()
		} else if err := stops.Flush(); err != nil {
			return nil, err
		}
	}
	res.Text = string(text)
	return res, nil
}

// checkOptions rejects what Run cannot do with an error naming the option.
func checkOptions(m model.Model, promptIDs []int, opts Options) error {
	if len(promptIDs) == 0 {
		return errors.New("generate: empty prompt (and the vocabulary adds no BOS)")
	}
	if n, c := len(promptIDs), m.ContextLength(); n > c {
		return fmt.Errorf("generate: %d prompt tokens, context length %d: %w", n, c, ErrContextExceeded)
	}
	if opts.MaxTokens < 0 {
		return fmt.Errorf("generate: negative MaxTokens %d", opts.MaxTokens)
	}
	if opts.TopLogProbs < 0 {
		return fmt.Errorf("generate: negative TopLogProbs %d", opts.TopLogProbs)
	}
	for _, s := range opts.Stop {
		if s == "" || !utf8.ValidString(s) {
			return fmt.Errorf("generate: stop string %q is empty or not valid UTF-8", s)
		}
	}
	return opts.Beam.check(opts)
}

// tokenLogProbs is sample.LogProbs with each id's text, decoded after prev
// (the id before it) so that a leading space a tokenizer drops at the start
// of a text is kept.
func tokenLogProbs(tok tokenizer.Tokenizer, logits []float32, prev, id, topN int) (TokenLogProbs, error) {
	lp, err := sample.LogProbs(logits, id, topN)
	if err != nil {
		return TokenLogProbs{}, err
	}
	before, errBefore := tok.Decode([]int{prev}, tokenizer.DecodeOptions{})
	piece := func(id int) string {
		if errBefore == nil {
			if s, err := tok.Decode([]int{prev, id}, tokenizer.DecodeOptions{}); err == nil && strings.HasPrefix(s, before) {
				return s[len(before):]
			}
		}
		s, _ := tok.Decode([]int{id}, tokenizer.DecodeOptions{})
		return s
	}
	out := TokenLogProbs{TopLogProb: TopLogProb{ID: id, Token: piece(id), LogProb: lp.LogProb}}
	for _, t := range lp.Top {
		out.Top = append(out.Top, TopLogProb{ID: t.ID, Token: piece(t.ID), LogProb: t.LogProb})
	}
	return out, nil
}
