package server

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/llmpipe/llmpipe/sample"
)

// chatRequest is POST /v1/chat/completions' body: every field llmpipe
// implements, and no other (see chatFields).
type chatRequest struct {
	Model               *string            `json:"model"`
	Messages            []chatMessage      `json:"messages"`
	MaxTokens           *int               `json:"max_tokens"`
	MaxCompletionTokens *int               `json:"max_completion_tokens"`
	Temperature         *float64           `json:"temperature"`
	TopP                *float64           `json:"top_p"`
	Seed                *int64             `json:"seed"`
	Stop                json.RawMessage    `json:"stop"`
	N                   *int               `json:"n"`
	PresencePenalty     *float64           `json:"presence_penalty"`
	FrequencyPenalty    *float64           `json:"frequency_penalty"`
	LogitBias           map[string]float64 `json:"logit_bias"`
	Logprobs            *bool              `json:"logprobs"`
	TopLogprobs         *int               `json:"top_logprobs"`
	ResponseFormat      *responseFormat    `json:"response_format"`
	Stream              *bool              `json:"stream"`
	StreamOptions       *streamOptions     `json:"stream_options"`
	Tools               []json.RawMessage  `json:"tools"`
	ToolChoice          json.RawMessage    `json:"tool_choice"`
}

var chatFields = fieldSet("model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed",
	"stop", "n", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs",
	"response_format", "stream", "stream_options", "tools", "tool_choice")

// chatMessage is one message of a chat request.
type chatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       *string         `json:"name"`
	ToolCalls  []toolCall      `json:"tool_calls"`
	ToolCallID *string         `json:"tool_call_id"`
}

// toolCall is an assistant message's call of a tool (a function).
type toolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// contentPart is one part of a message whose content is a list.
type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// responseFormat is response_format: text, json_object or json_schema.
type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
	} `json:"json_schema"`
}

// streamOptions is stream_options.
type streamOptions struct {
	IncludeUsage *bool `json:"include_usage"`
}

// completionRequest is POST /v1/completions' body.
type completionRequest struct {
	Model            *string            `json:"model"`
	Prompt           json.RawMessage    `json:"prompt"`
	MaxTokens        *int               `json:"max_tokens"`
	Temperature      *float64           `json:"temperature"`
	TopP             *float64           `json:"top_p"`
	Seed             *int64             `json:"seed"`
	Stop             json.RawMessage    `json:"stop"`
	N                *int               `json:"n"`
	PresencePenalty  *float64           `json:"presence_penalty"`
	FrequencyPenalty *float64           `json:"frequency_penalty"`
	LogitBias        map[string]float64 `json:"logit_bias"`
	Logprobs         *int               `json:"logprobs"`
	Stream           *bool              `json:"stream"`
	StreamOptions    *streamOptions     `json:"stream_options"`
}

var completionFields = fieldSet("model", "prompt", "max_tokens", "temperature", "top_p", "seed", "stop", "n",
	"presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "stream", "stream_options")

// embeddingRequest is POST /v1/embeddings' body.
type embeddingRequest struct {
	Model          *string         `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat *string         `json:"encoding_format"`
}

var embeddingFields = fieldSet("model", "input", "encoding_format")

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// params are the generation fields common to chat and completions.
type params struct {
	maxTokens        *int
	maxTokensName    string
	temperature      *float64
	topP             *float64
	seed             *int64
	stop             json.RawMessage
	n                *int
	presence, freq   *float64
	logitBias        map[string]float64
	logprobs         bool
	top              int
	stream           bool
	streamOptions    *streamOptions
	defaultMaxTokens int // when max_tokens is absent: 0 means the rest of the context
}

// settings are params checked.
type settings struct {
	maxTokens    int // 0: the rest of the context
	n            int
	stops        []string
	sample       sample.Options // without Rand and Constraint
	seed         uint64
	logprobs     bool
	top          int
	stream       bool
	includeUsage bool
}

// check validates p against OpenAI's ranges and the vocabulary size.
func (p *params) check(vocab, maxN int) (*settings, *apiError) {
	s := &settings{n: 1, logprobs: p.logprobs, top: p.top}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if p.maxTokens != nil {
		if *p.maxTokens < 1 {
			return nil, invalid(p.maxTokensName, "%s %d must be at least 1", p.maxTokensName, *p.maxTokens)
		}
		s.maxTokens = *p.maxTokens
	} else {
		s.maxTokens = p.defaultMaxTokens
	}
	s.sample.Temperature = 1 // OpenAI's default
	if p.temperature != nil {
		if t := *p.temperature; !finite(t) || t < 0 || t > 2 {
			return nil, invalid("temperature", "temperature %v is outside [0, 2]", t)
		}
		s.sample.Temperature = *p.temperature
	}
	if p.topP != nil {
		if v := *p.topP; !finite(v) || v <= 0 || v > 1 {
			return nil, invalid("top_p", "top_p %v is outside (0, 1]", v)
		}
		s.sample.TopP = *p.topP
	}
	for _, pen := range []struct {
		name string
		v    *float64
		dst  *float64
	}{{"presence_penalty", p.presence, &s.sample.PresencePenalty}, {"frequency_penalty", p.freq, &s.sample.FrequencyPenalty}} {
		if pen.v != nil {
			if v := *pen.v; !finite(v) || v < -2 || v > 2 {
				return nil, invalid(pen.name, "%s %v is outside [-2, 2]", pen.name, v)
			}
			*pen.dst = *pen.v
		}
	}
	// OpenAI's penalties look at the whole generated text; the prompt is in
	// the window too, as llama.cpp's server does.
	s.sample.RepeatLastN = -1
	if len(p.logitBias) > 0 {
		s.sample.LogitBias = make(map[int]float32, len(p.logitBias))
		for k, v := range p.logitBias {
			id, err := strconv.Atoi(k)
			if err != nil || id < 0 || id >= vocab {
				return nil, invalid("logit_bias", "logit_bias key %q is not a token id in [0, %d)", k, vocab)
			}
			if !finite(v) || v < -100 || v > 100 {
				return nil, invalid("logit_bias", "logit_bias[%q] = %v is outside [-100, 100]", k, v)
			}
			s.sample.LogitBias[id] = float32(v)
			if v == -100 {
				s.sample.LogitBias[id] = float32(math.Inf(-1)) // OpenAI: -100 bans the token
			}
		}
	}
	if p.n != nil {
		if *p.n < 1 || *p.n > maxN {
			return nil, invalid("n", "n %d is outside [1, %d]", *p.n, maxN)
		}
		s.n = *p.n
	}
	if len(p.stop) > 0 && string(p.stop) != "null" {
		var one string
		if err := json.Unmarshal(p.stop, &one); err == nil {
			s.stops = []string{one}
		} else if err := json.Unmarshal(p.stop, &s.stops); err != nil {
			return nil, invalid("stop", "stop must be a string or an array of strings")
		}
		if len(s.stops) > 4 {
			return nil, invalid("stop", "stop has %d strings; at most 4", len(s.stops))
		}
		for _, st := range s.stops {
			if st == "" {
				return nil, invalid("stop", "stop strings must not be empty")
			}
		}
	}
	if p.top < 0 || p.top > 20 {
		return nil, invalid("top_logprobs", "top_logprobs %d is outside [0, 20]", p.top)
	}
	s.stream = p.stream
	if p.streamOptions != nil {
		if !p.stream {
			return nil, invalid("stream_options", "stream_options needs stream: true")
		}
		s.includeUsage = p.streamOptions.IncludeUsage != nil && *p.streamOptions.IncludeUsage
	}
	if p.seed != nil {
		s.seed = uint64(*p.seed)
	} else {
		var b [8]byte
		crand.Read(b[:]) //nolint:errcheck // crypto/rand.Read does not fail
		s.seed = binary.LittleEndian.Uint64(b[:])
	}
	v := s.sample
	v.Rand = rand.New(rand.NewPCG(0, 0)) // the real one is made per choice
	if err := v.Validate(); err != nil {
		return nil, invalid("", "%v", err)
	}
	return s, nil
}

// sampler returns the sampler of choice i: seeded with (seed, i), so that
// choice 0 of a request with a seed draws as `llmpipe run --seed` does.
func (s *settings) sampler(i int, c sample.Constraint) (*sample.Sampler, error) {
	o := s.sample
	o.Constraint = c
	if o.Temperature > 0 {
		o.Rand = rand.New(rand.NewPCG(s.seed, uint64(i)))
	}
	return sample.New(o)
}
