package generate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// ErrContextExceeded is returned (wrapped) when the prompt does not fit in the
// model's context.
var ErrContextExceeded = errors.New("prompt exceeds the context length")

// Options controls one generation. The zero value generates until an
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
	// that never split a UTF-8 character. An error from it stops generation
	// and is returned.
	OnText func(string) error
	// Now is the clock for the speed figures; nil means time.Now.
	Now func() time.Time
}

// StopReason says why generation ended.
type StopReason string

// Stop reasons.
const (
	StopEOG       StopReason = "eog"        // an end-of-generation id (not included in IDs)
	StopMaxTokens StopReason = "max_tokens" // Options.MaxTokens reached
	StopContext   StopReason = "context"    // the context is full
)

// Result is what one generation produced.
type Result struct {
	// PromptIDs are the prompt's ids, BOS included when the vocabulary adds it.
	PromptIDs []int
	// IDs are the generated ids (an end-of-generation id is not included).
	IDs []int
	// Text is the text of IDs as it streamed (the prompt is not repeated).
	Text string
	// PromptTokS and GenTokS are prompt-processing and generation speeds in
	// tokens per second (0 when nothing was timed).
	PromptTokS, GenTokS float64
	// Stop says why generation ended.
	Stop StopReason
}

// Greedy generates a continuation of prompt with m, always taking the id with
// the highest logit (the lowest id among equal ones, as argmax does).
// ctx is checked between tokens.
func Greedy(ctx context.Context, m model.Model, tok tokenizer.Tokenizer, prompt string, opts Options) (*Result, error) {
	ids, err := tok.Encode(prompt, tokenizer.EncodeOptions{AddSpecial: true, ParseSpecial: opts.ParseSpecial})
	if err != nil {
		return nil, fmt.Errorf("generate: tokenizing the prompt: %w", err)
	}
	return GreedyIDs(ctx, m, tok, ids, opts)
}

// GreedyIDs is Greedy from prompt ids that are already tokenized.
func GreedyIDs(ctx context.Context, m model.Model, tok tokenizer.Tokenizer, promptIDs []int, opts Options) (*Result, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	res := &Result{PromptIDs: slices.Clone(promptIDs)}
	if len(promptIDs) == 0 {
		return nil, errors.New("generate: empty prompt (and the vocabulary adds no BOS)")
	}
	if n, c := len(promptIDs), m.ContextLength(); n > c {
		return nil, fmt.Errorf("generate: %d prompt tokens, context length %d: %w", n, c, ErrContextExceeded)
	}
	if opts.MaxTokens < 0 {
		return nil, fmt.Errorf("generate: negative MaxTokens %d", opts.MaxTokens)
	}
	sp := tok.Specials()
	eog := slices.Clone(sp.EOG)
	if sp.EOS >= 0 {
		eog = append(eog, sp.EOS)
	}

	// The stream decoder first sees the prompt, so that the first generated
	// token decodes in context (SentencePiece drops the leading space of a
	// text's first token, not of a continuation's).
	stream := tokenizer.NewStreamDecoder(tok, tokenizer.DecodeOptions{SkipSpecial: true})
	for _, id := range promptIDs {
		if _, err := stream.Add(id); err != nil {
			return nil, fmt.Errorf("generate: decoding the prompt: %w", err)
		}
	}
	var text []byte
	emit := func(s string) error {
		if s == "" {
			return nil
		}
		text = append(text, s...)
		if opts.OnText != nil {
			return opts.OnText(s)
		}
		return nil
	}

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
		id := argmax(logits)
		if slices.Contains(eog, id) {
			res.Stop = StopEOG
			break
		}
		res.IDs = append(res.IDs, id)
		s, err := stream.Add(id)
		if err != nil {
			return nil, fmt.Errorf("generate: decoding id %d: %w", id, err)
		}
		if err := emit(s); err != nil {
			return nil, err
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
	s, err := stream.Flush()
	if err != nil {
		return nil, fmt.Errorf("generate: decoding: %w", err)
	}
	if err := emit(s); err != nil {
		return nil, err
	}
	res.Text = string(text)
	return res, nil
}

// argmax returns the index of the largest value, the first among equals.
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
