package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/llmpipe/llmpipe/sample"
)

// genRequest is a checked generation request: its prompts (a chat has one)
// and settings.
type genRequest struct {
	chat       bool
	prompts    [][]int
	set        *settings
	constraint func() (sample.Constraint, error) // nil: none
	tools      bool                              // parse tool calls from the output
}

// choice is one finished (or failed) choice.
type choice struct {
	text   strings.Builder
	tokens []tokenInfo
	finish string
	err    error
	done   bool
}

// limits fixes each prompt's max tokens against the context and the cap, or
// returns the 400 naming the token counts: a request never gets truncated.
func (s *Server) limits(g *genRequest, param string) ([]int, *apiError) {
	ctxLen := s.cfg.Model.ContextLength()
	out := make([]int, len(g.prompts))
	for i, p := range g.prompts {
		if len(p) == 0 {
			return nil, invalid("prompt", "the prompt has no tokens")
		}
		max := g.set.maxTokens
		if max > 0 && s.cfg.MaxTokens > 0 && max > s.cfg.MaxTokens {
			return nil, invalid(param, "%s %d exceeds this server's cap of %d", param, max, s.cfg.MaxTokens)
		}
		if max == 0 {
			max = ctxLen - len(p)
			if s.cfg.MaxTokens > 0 {
				max = min(max, s.cfg.MaxTokens)
			}
			if max < 1 {
				e := invalid("messages", "the prompt has %d tokens and the context length is %d: no room to generate", len(p), ctxLen)
				e.Code = strp("context_length_exceeded")
				return nil, e
			}
		}
		if len(p)+max > ctxLen {
			e := invalid(param, "the prompt has %d tokens and %s is %d: %d tokens exceed the context length of %d", len(p), param, max, len(p)+max, ctxLen)
			e.Code = strp("context_length_exceeded")
			return nil, e
		}
		out[i] = max
	}
	return out, nil
}

// run queues g's jobs and answers: one JSON response, or an SSE stream.
func (s *Server) run(w http.ResponseWriter, r *http.Request, g *genRequest, maxParam string) *apiError {
	maxes, e := s.limits(g, maxParam)
	if e != nil {
		return e
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel() // a handler that returns (client gone, write failed) cancels its sequences
	sk := newSink()
	var jobs []*job
	for pi, p := range g.prompts {
		var grp *promptGroup
		if g.set.n > 1 && s.sched.canClone {
			grp = &promptGroup{waiting: g.set.n - 1}
		}
		for i := range g.set.n {
			idx := pi*g.set.n + i
			var c sample.Constraint
			if g.constraint != nil {
				var err error
				if c, err = g.constraint(); err != nil {
					return invalid("response_format", "response_format: %v", err)
				}
				// a grammar that knows the budget ends its text within it (complete JSON)
				if b, ok := c.(interface{ SetMaxTokens(int) }); ok {
					b.SetMaxTokens(maxes[pi])
				}
			}
			smp, err := g.set.sampler(idx, c)
			if err != nil {
				return invalid("", "%v", err)
			}
			jobs = append(jobs, &job{ctx: ctx, index: idx, prompt: p, max: maxes[pi], sampler: smp, stops: g.set.stops,
				logprobs: g.set.logprobs, top: g.set.top, sink: sk, group: grp, leader: i == 0})
		}
	}
	switch err := s.sched.submit(jobs); {
	case errors.Is(err, errQueueFull):
		w.Header().Set("Retry-After", "1")
		return &apiError{Status: http.StatusTooManyRequests, Message: fmt.Sprintf("the server is busy: %v (%d waiting); retry later", err, s.cfg.QueueSize),
			Type: "rate_limit_error", Code: strp("queue_full")}
	case err != nil:
		return &apiError{Status: http.StatusServiceUnavailable, Message: err.Error(), Type: "server_error", Code: strp("shutting_down")}
	}
	id := newID("cmpl-")
	if g.chat {
		id = newID("chatcmpl-")
	}
	st := &stream{s: s, g: g, w: w, id: id, created: time.Now().Unix(), choices: make([]choice, len(jobs))}
	for _, p := range g.prompts {
		st.promptTokens += len(p)
	}
	if g.set.stream {
		st.start()
	}
	left := len(jobs)
	for left > 0 {
		select {
		case <-ctx.Done():
			if !g.set.stream {
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					return &apiError{Status: http.StatusGatewayTimeout, Message: fmt.Sprintf("generation exceeded the server's timeout of %v", s.cfg.Timeout), Type: "server_error", Code: strp("timeout")}
				}
				return nil // the client is gone
			}
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				st.fail(&apiError{Status: http.StatusGatewayTimeout, Message: fmt.Sprintf("generation exceeded the server's timeout of %v", s.cfg.Timeout), Type: "server_error", Code: strp("timeout")})
			}
			return nil
		case <-sk.notify:
		}
		for _, ev := range sk.take() {
			c := &st.choices[ev.Index]
			if ev.Err != nil {
				c.err, c.done = ev.Err, true
				left--
				e := &apiError{Status: http.StatusInternalServerError, Message: fmt.Sprintf("choice %d: %v", ev.Index, ev.Err), Type: "server_error"}
				if errors.Is(ev.Err, errShuttingDown) {
					e.Status, e.Code = http.StatusServiceUnavailable, strp("shutting_down")
				}
				if errors.Is(ev.Err, context.DeadlineExceeded) {
					e.Status, e.Message, e.Code = http.StatusGatewayTimeout, fmt.Sprintf("generation exceeded the server's timeout of %v", s.cfg.Timeout), strp("timeout")
				}
				if g.set.stream {
					st.fail(e) // the headers are sent: the error goes in the stream
					return nil
				}
				return e
			}
			if ev.Token != nil {
				st.completionTokens++
			}
			if err := st.event(ev); err != nil {
				return nil // the client is gone: cancel (deferred)
			}
			if ev.Finish != "" {
				c.finish, c.done = ev.Finish, true
				left--
				if ev.Index%g.set.n == 0 { // the prompt is counted once per prompt, not per choice
					st.cachedTokens += ev.CachedTokens
				}
			}
		}
	}
	if g.set.stream {
		st.end()
		return nil
	}
	writeJSON(w, st.response())
	return nil
}

// stream writes one request's answer.
type stream struct {
	s                              *Server
	g                              *genRequest
	w                              http.ResponseWriter
	id                             string
	created                        int64
	choices                        []choice
	promptTokens, completionTokens int
	cachedTokens                   int            // of the prompt tokens, those taken from the prefix cache
	tools                          []toolStreamer // per choice, when tools are on and streaming
}

func (st *stream) object() string {
	if st.g.chat {
		if st.g.set.stream {
			return "chat.completion.chunk"
		}
		return "chat.completion"
	}
	return "text_completion"
}

// usage is the request's usage object; cached prompt tokens are reported
// as OpenAI does (prompt_tokens_details.cached_tokens).
func (st *stream) usage() map[string]any {
	return map[string]any{"prompt_tokens": st.promptTokens, "completion_tokens": st.completionTokens, "total_tokens": st.promptTokens + st.completionTokens,
		"prompt_tokens_details": map[string]int{"cached_tokens": st.cachedTokens}}
}

func (st *stream) chunk(choices []any) map[string]any {
	c := map[string]any{"id": st.id, "object": st.object(), "created": st.created, "model": st.s.cfg.ModelID, "choices": choices}
	if st.g.set.includeUsage {
		c["usage"] = nil
	}
	return c
}

func (st *stream) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(st.w, "data: %s\n\n", b); err != nil {
		return err
	}
	if f, ok := st.w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}

// start writes the SSE headers and, for chat, each choice's role delta.
func (st *stream) start() {
	h := st.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	st.w.WriteHeader(http.StatusOK)
	if st.g.chat {
		for i := range st.choices {
			st.send(st.chunk([]any{map[string]any{"index": i, "delta": map[string]any{"role": "assistant", "content": ""}, "logprobs": nil, "finish_reason": nil}})) //nolint:errcheck
		}
	} else if f, ok := st.w.(http.Flusher); ok {
		f.Flush()
	}
}

// event records ev and, when streaming, sends it.
func (st *stream) event(ev event) error {
	c := &st.choices[ev.Index]
	c.text.WriteString(ev.Text)
	if ev.Token != nil && st.g.set.logprobs {
		c.tokens = append(c.tokens, *ev.Token)
	}
	if !st.g.set.stream {
		return nil
	}
	var lp any
	if ev.Token != nil && st.g.set.logprobs {
		lp = st.logprobs([]tokenInfo{*ev.Token}, c.text.Len()-len(ev.Text))
	}
	if st.g.chat && st.g.tools {
		return st.toolEvent(ev)
	}
	if ev.Text != "" || lp != nil {
		var ch map[string]any
		if st.g.chat {
			ch = map[string]any{"index": ev.Index, "delta": map[string]any{"content": ev.Text}, "logprobs": lp, "finish_reason": nil}
		} else {
			ch = map[string]any{"index": ev.Index, "text": ev.Text, "logprobs": lp, "finish_reason": nil}
		}
		if err := st.send(st.chunk([]any{ch})); err != nil {
			return err
		}
	}
	if ev.Finish != "" {
		var ch map[string]any
		if st.g.chat {
			ch = map[string]any{"index": ev.Index, "delta": map[string]any{}, "logprobs": nil, "finish_reason": ev.Finish}
		} else {
			ch = map[string]any{"index": ev.Index, "text": "", "logprobs": nil, "finish_reason": ev.Finish}
		}
		return st.send(st.chunk([]any{ch}))
	}
	return nil
}

// toolEvent streams a chat choice's text when tools are on: content
// outside tool calls as it comes, each call as tool_calls deltas (see
// toolStreamer), and the finish reason "tool_calls" when the choice made a
// call.
func (st *stream) toolEvent(ev event) error {
	if st.tools == nil {
		st.tools = make([]toolStreamer, len(st.choices))
	}
	ts := &st.tools[ev.Index]
	ds := ts.push(ev.Text)
	if ev.Finish != "" {
		ds = append(ds, ts.finish()...)
	}
	for _, d := range ds {
		delta := map[string]any{"content": d.content}
		if d.call != nil {
			delta = map[string]any{"tool_calls": []any{d.call}}
		}
		if err := st.send(st.chunk([]any{map[string]any{"index": ev.Index, "delta": delta, "logprobs": nil, "finish_reason": nil}})); err != nil {
			return err
		}
	}
	if ev.Finish == "" {
		return nil
	}
	finish := ev.Finish
	if ts.calls > 0 && !ts.broken {
		finish = "tool_calls" // a call cut off keeps "length"
	}
	return st.send(st.chunk([]any{map[string]any{"index": ev.Index, "delta": map[string]any{}, "logprobs": nil, "finish_reason": finish}}))
}

// end sends the usage chunk (stream_options.include_usage) and [DONE].
func (st *stream) end() {
	if st.g.set.includeUsage {
		c := st.chunk([]any{})
		c["usage"] = st.usage()
		st.send(c) //nolint:errcheck
	}
	fmt.Fprint(st.w, "data: [DONE]\n\n")
	if f, ok := st.w.(http.Flusher); ok {
		f.Flush()
	}
}

// fail ends a stream with an error event.
func (st *stream) fail(e *apiError) {
	st.send(map[string]any{"error": e}) //nolint:errcheck
}

// jsonLogProb maps -Inf (a token the model rules out) to -9999, as OpenAI
// reports it.
func jsonLogProb(x float64) float64 {
	if math.IsInf(x, -1) || x < -9999 {
		return -9999
	}
	return x
}

// logprobs formats tokens as chat's {"content": [...]} or completions'
// {"tokens", "token_logprobs", "top_logprobs", "text_offset"}; offset is
// the text offset of the first token (completions).
func (st *stream) logprobs(tokens []tokenInfo, offset int) any {
	if st.g.chat {
		content := make([]any, 0, len(tokens))
		for _, t := range tokens {
			top := make([]any, 0, len(t.Top))
			for _, a := range t.Top {
				top = append(top, map[string]any{"token": a.Token, "logprob": jsonLogProb(a.LogProb), "bytes": byteList(a.Token)})
			}
			content = append(content, map[string]any{"token": t.Token, "logprob": jsonLogProb(t.LogProb), "bytes": byteList(t.Token), "top_logprobs": top})
		}
		return map[string]any{"content": content}
	}
	toks, lps, tops, offs := []string{}, []float64{}, []map[string]float64{}, []int{}
	for _, t := range tokens {
		toks = append(toks, t.Token)
		lps = append(lps, jsonLogProb(t.LogProb))
		m := map[string]float64{}
		for _, a := range t.Top {
			if _, ok := m[a.Token]; !ok {
				m[a.Token] = jsonLogProb(a.LogProb)
			}
		}
		tops = append(tops, m)
		offs = append(offs, offset)
		offset += len(t.Token)
	}
	return map[string]any{"tokens": toks, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offs}
}

// byteList is a token's UTF-8 bytes as a JSON list of integers (OpenAI's
// "bytes"), not base64.
func byteList(s string) []int {
	out := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = int(s[i])
	}
	return out
}

// response is the non-streaming answer.
func (st *stream) response() map[string]any {
	choices := make([]any, len(st.choices))
	for i := range st.choices {
		c := &st.choices[i]
		var lp any
		if st.g.set.logprobs {
			lp = st.logprobs(c.tokens, 0)
		}
		if st.g.chat {
			msg, finish := st.message(c.text.String())
			if finish == "" {
				finish = c.finish
			}
			choices[i] = map[string]any{"index": i, "message": msg, "logprobs": lp, "finish_reason": finish}
		} else {
			choices[i] = map[string]any{"index": i, "text": c.text.String(), "logprobs": lp, "finish_reason": c.finish}
		}
	}
	return map[string]any{"id": st.id, "object": st.object(), "created": st.created, "model": st.s.cfg.ModelID,
		"choices": choices, "usage": st.usage()}
}

// message is a chat choice's message; with tools, calls written in the
// Hermes format (<tool_call>{"name": …, "arguments": …}</tool_call>, the
// format of Qwen's and Hermes' templates) become tool_calls, and the finish
// reason "tool_calls".
func (st *stream) message(text string) (map[string]any, string) {
	msg := map[string]any{"role": "assistant", "content": text}
	if !st.g.tools {
		return msg, ""
	}
	calls, content := parseToolCalls(text)
	if len(calls) == 0 {
		return msg, ""
	}
	if strings.TrimSpace(content) == "" {
		msg["content"] = nil
	} else {
		msg["content"] = strings.TrimSpace(content)
	}
	msg["tool_calls"] = calls
	return msg, "tool_calls"
}

// parseToolCalls finds <tool_call>JSON</tool_call> blocks; the text outside
// them is the content.
func parseToolCalls(text string) ([]any, string) {
	var calls []any
	var content strings.Builder
	rest := text
	for {
		i := strings.Index(rest, "<tool_call>")
		if i < 0 {
			content.WriteString(rest)
			break
		}
		content.WriteString(rest[:i])
		body := rest[i+len("<tool_call>"):]
		j := strings.Index(body, "</tool_call>")
		end := len(body)
		if j >= 0 {
			end = j
		}
		var call struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(body[:end])), &call); err != nil || call.Name == "" {
			content.WriteString(rest[i:]) // not a call: keep it as text
			break
		}
		args := string(call.Arguments)
		var sarg string
		if json.Unmarshal(call.Arguments, &sarg) == nil {
			args = sarg
		}
		if args == "" {
			args = "{}"
		}
		calls = append(calls, map[string]any{"index": len(calls), "id": newID("call_"), "type": "function",
			"function": map[string]any{"name": call.Name, "arguments": args}})
		if j < 0 {
			break
		}
		rest = body[j+len("</tool_call>"):]
	}
	return calls, content.String()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client may be gone
}
