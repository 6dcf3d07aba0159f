package server

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// completionDefaultMaxTokens is OpenAI's max_tokens default for
// /v1/completions (chat's is the rest of the context).
const completionDefaultMaxTokens = 16

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := s.readBody(r)
	if e != nil {
		return e
	}
	var req chatRequest
	if e := decodeBody(body, chatFields, &req); e != nil {
		return e
	}
	if e := s.checkModel(req.Model); e != nil {
		return e
	}
	if len(req.Messages) == 0 {
		return invalid("messages", "messages must be a non-empty array")
	}
	p := params{maxTokens: req.MaxTokens, maxTokensName: "max_tokens", temperature: req.Temperature, topP: req.TopP, seed: req.Seed,
		stop: req.Stop, n: req.N, presence: req.PresencePenalty, freq: req.FrequencyPenalty, logitBias: req.LogitBias,
		stream: req.Stream != nil && *req.Stream, streamOptions: req.StreamOptions}
	if req.MaxCompletionTokens != nil {
		if req.MaxTokens != nil {
			return invalid("max_completion_tokens", "give max_tokens or max_completion_tokens, not both")
		}
		p.maxTokens, p.maxTokensName = req.MaxCompletionTokens, "max_completion_tokens"
	}
	if req.Logprobs != nil && *req.Logprobs {
		p.logprobs = true
	}
	if req.TopLogprobs != nil {
		if !p.logprobs {
			return invalid("top_logprobs", "top_logprobs needs logprobs: true")
		}
		p.top = *req.TopLogprobs
	}
	set, e := p.check(s.cfg.Model.VocabSize(), s.cfg.MaxN)
	if e != nil {
		return e
	}
	g := &genRequest{chat: true, set: set}
	useTools, e := s.checkTools(&req)
	if e != nil {
		return e
	}
	g.tools = useTools
	if g.constraint, e = s.responseFormat(req.ResponseFormat); e != nil {
		return e
	}
	if g.tools && g.constraint != nil {
		return invalid("response_format", "response_format with tools is not supported")
	}
	ids, e := s.renderChat(req.Messages, req.Tools, useTools)
	if e != nil {
		return e
	}
	g.prompts = [][]int{ids}
	return s.run(w, r, g, p.maxTokensName)
}

// checkTools accepts tools only when the chat template renders them.
func (s *Server) checkTools(req *chatRequest) (bool, *apiError) {
	hasChoice := len(req.ToolChoice) > 0 && string(req.ToolChoice) != "null"
	if len(req.Tools) == 0 {
		if hasChoice {
			return false, invalid("tool_choice", "tool_choice needs tools")
		}
		return false, nil
	}
	if !s.tools {
		return false, invalid("tools", "this model's chat template does not support tools")
	}
	for i, t := range req.Tools {
		var def struct {
			Type     string `json:"type"`
			Function *struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if err := json.Unmarshal(t, &def); err != nil || def.Type != "function" || def.Function == nil || def.Function.Name == "" {
			return false, invalid(fmt.Sprintf("tools[%d]", i), "tools[%d] must be {\"type\": \"function\", \"function\": {\"name\": …}}", i)
		}
	}
	if hasChoice {
		var c string
		if json.Unmarshal(req.ToolChoice, &c) != nil || (c != "auto" && c != "none") {
			return false, invalid("tool_choice", "tool_choice %s is not supported (\"auto\" or \"none\")", req.ToolChoice)
		}
		if c == "none" {
			return false, nil
		}
	}
	return true, nil
}

// responseFormat returns the constraint maker of response_format.
func (s *Server) responseFormat(rf *responseFormat) (func() (sample.Constraint, error), *apiError) {
	if rf == nil || rf.Type == "text" {
		return nil, nil
	}
	var schema []byte
	switch rf.Type {
	case "json_object":
		schema = []byte(`{"type":"object"}`)
	case "json_schema":
		if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 {
			return nil, invalid("response_format.json_schema.schema", "response_format json_schema needs json_schema.schema")
		}
		schema = rf.JSONSchema.Schema
	default:
		return nil, invalid("response_format.type", "response_format type %q is not one of text, json_object, json_schema", rf.Type)
	}
	if s.cfg.JSONSchema == nil {
		return nil, invalid("response_format", "response_format %s is not supported by this server build (no JSON schema constraint)", rf.Type)
	}
	// compile once now, so a bad schema is a 400 before anything is queued
	if _, err := s.cfg.JSONSchema(schema); err != nil {
		return nil, invalid("response_format", "response_format schema: %v", err)
	}
	return func() (sample.Constraint, error) { return s.cfg.JSONSchema(schema) }, nil
}

// renderChat renders messages with the chat template (or the plain format)
// and tokenizes the text.
func (s *Server) renderChat(msgs []chatMessage, tools []json.RawMessage, useTools bool) ([]int, *apiError) {
	var text string
	cms := make([]chat.Message, len(msgs))
	for i, m := range msgs {
		param := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool":
		default:
			return nil, invalid(param+".role", "%s.role %q is not one of system, developer, user, assistant, tool", param, m.Role)
		}
		content, e := messageText(m.Content, param)
		if e != nil {
			return nil, e
		}
		if content == nil && len(m.ToolCalls) == 0 {
			return nil, invalid(param+".content", "%s has no content", param)
		}
		cm := chat.Message{"role": m.Role, "content": content}
		if m.Name != nil {
			cm["name"] = *m.Name
		}
		if m.ToolCallID != nil {
			cm["tool_call_id"] = *m.ToolCallID
		}
		if len(m.ToolCalls) > 0 {
			if s.cfg.Template == nil || !s.tools {
				return nil, invalid(param+".tool_calls", "this model's chat template does not support tool calls")
			}
			var calls []any
			for _, tc := range m.ToolCalls {
				var args any = tc.Function.Arguments
				if json.Valid([]byte(tc.Function.Arguments)) {
					args = json.RawMessage(tc.Function.Arguments)
				}
				calls = append(calls, map[string]any{"id": tc.ID, "type": "function",
					"function": map[string]any{"name": tc.Function.Name, "arguments": args}})
			}
			cm["tool_calls"] = calls
		}
		cms[i] = cm
	}
	if s.cfg.Template == nil {
		text = PlainFormat(cms)
		ids, err := s.cfg.Tokenizer.Encode(text, tokenizer.EncodeOptions{AddSpecial: true})
		if err != nil {
			return nil, invalid("messages", "tokenizing the messages: %v", err)
		}
		return ids, nil
	}
	args := s.cfg.TemplateArgs
	args.Messages = cms
	args.AddGenerationPrompt = true
	if useTools {
		args.Tools = tools
	}
	text, err := s.cfg.Template.Render(args)
	if err != nil {
		return nil, invalid("messages", "rendering the chat template: %v", err)
	}
	// The template writes special tokens (BOS included, usually) as text.
	ids, err := s.cfg.Tokenizer.Encode(text, tokenizer.EncodeOptions{AddSpecial: true, ParseSpecial: true})
	if err != nil {
		return nil, invalid("messages", "tokenizing the rendered chat: %v", err)
	}
	if bos := s.cfg.Tokenizer.Specials().BOS; bos >= 0 && len(ids) >= 2 && ids[0] == bos && ids[1] == bos {
		ids = ids[1:] // the template wrote BOS and the tokenizer added it again
	}
	return ids, nil
}

// PlainFormat is the chat format of a model without a chat template (such
// as stories260K): each message as "Role: content" on its own line(s), the
// roles capitalized (System, Developer, User, Assistant, Tool), followed by
// "Assistant:" for the reply:
//
//	System: You are terse.
//	User: Hello
//	Assistant:
func PlainFormat(msgs []chat.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		role := m.Role()
		if role != "" {
			role = strings.ToUpper(role[:1]) + role[1:]
		}
		fmt.Fprintf(&b, "%s: %s\n", role, m.Text())
	}
	b.WriteString("Assistant:")
	return b.String()
}

// messageText returns a message's content: a string, or the text of a list
// of {"type": "text"} parts; nil when absent or null.
func messageText(raw json.RawMessage, param string) (any, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return str, nil
	}
	var parts []contentPart
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&parts); err != nil {
		return nil, invalid(param+".content", "%s.content must be a string or an array of {\"type\": \"text\", \"text\": …} parts", param)
	}
	var b strings.Builder
	for k, p := range parts {
		if p.Type != "text" {
			return nil, invalid(fmt.Sprintf("%s.content[%d].type", param, k), "content part type %q is not supported (only text)", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := s.readBody(r)
	if e != nil {
		return e
	}
	var req completionRequest
	if e := decodeBody(body, completionFields, &req); e != nil {
		return e
	}
	if e := s.checkModel(req.Model); e != nil {
		return e
	}
	p := params{maxTokens: req.MaxTokens, maxTokensName: "max_tokens", temperature: req.Temperature, topP: req.TopP, seed: req.Seed,
		stop: req.Stop, n: req.N, presence: req.PresencePenalty, freq: req.FrequencyPenalty, logitBias: req.LogitBias,
		stream: req.Stream != nil && *req.Stream, streamOptions: req.StreamOptions, defaultMaxTokens: completionDefaultMaxTokens}
	if req.Logprobs != nil {
		if *req.Logprobs < 0 || *req.Logprobs > 5 {
			return invalid("logprobs", "logprobs %d is outside [0, 5]", *req.Logprobs)
		}
		p.logprobs, p.top = true, *req.Logprobs
	}
	set, e := p.check(s.cfg.Model.VocabSize(), s.cfg.MaxN)
	if e != nil {
		return e
	}
	prompts, e := s.prompts(req.Prompt, "prompt", tokenizer.EncodeOptions{AddSpecial: true})
	if e != nil {
		return e
	}
	if len(prompts)*set.n > s.cfg.MaxN {
		return invalid("prompt", "%d prompts × n %d = %d choices; at most %d", len(prompts), set.n, len(prompts)*set.n, s.cfg.MaxN)
	}
	return s.run(w, r, &genRequest{set: set, prompts: prompts}, "max_tokens")
}

// prompts reads a prompt or input field: a string, an array of strings, an
// array of token ids, or an array of such arrays.
func (s *Server) prompts(raw json.RawMessage, param string, opts tokenizer.EncodeOptions) ([][]int, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, invalid(param, "%s is required", param)
	}
	vocab := s.cfg.Model.VocabSize()
	checkIDs := func(ids []int, where string) *apiError {
		if len(ids) == 0 {
			return invalid(param, "%s is empty", where)
		}
		for i, id := range ids {
			if id < 0 || id >= vocab {
				return invalid(param, "%s[%d] = %d is not a token id in [0, %d)", where, i, id, vocab)
			}
		}
		return nil
	}
	encode := func(text, where string) ([]int, *apiError) {
		if text == "" {
			return nil, invalid(param, "%s is an empty string", where)
		}
		ids, err := s.cfg.Tokenizer.Encode(text, opts)
		if err != nil {
			return nil, invalid(param, "tokenizing %s: %v", where, err)
		}
		return ids, nil
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		ids, e := encode(str, param)
		return [][]int{ids}, e
	}
	var ids []int
	if json.Unmarshal(raw, &ids) == nil {
		return [][]int{ids}, checkIDs(ids, param)
	}
	var strs []string
	if json.Unmarshal(raw, &strs) == nil && len(strs) > 0 {
		out := make([][]int, len(strs))
		for i, t := range strs {
			var e *apiError
			if out[i], e = encode(t, fmt.Sprintf("%s[%d]", param, i)); e != nil {
				return nil, e
			}
		}
		return out, nil
	}
	var lists [][]int
	if json.Unmarshal(raw, &lists) == nil && len(lists) > 0 {
		for i, l := range lists {
			if e := checkIDs(l, fmt.Sprintf("%s[%d]", param, i)); e != nil {
				return nil, e
			}
		}
		return lists, nil
	}
	return nil, invalid(param, "%s must be a string, an array of strings, an array of token ids, or an array of such arrays", param)
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := s.readBody(r)
	if e != nil {
		return e
	}
	var req embeddingRequest
	if e := decodeBody(body, embeddingFields, &req); e != nil {
		return e
	}
	if e := s.checkModel(req.Model); e != nil {
		return e
	}
	emb, ok := s.cfg.Model.(model.Embedder)
	if !ok {
		return invalid("model", "the model %q cannot compute embeddings", s.cfg.ModelID)
	}
	format := "float"
	if req.EncodingFormat != nil {
		format = *req.EncodingFormat
	}
	if format != "float" && format != "base64" {
		return invalid("encoding_format", "encoding_format %q is not float or base64", format)
	}
	inputs, e := s.prompts(req.Input, "input", tokenizer.EncodeOptions{AddSpecial: true})
	if e != nil {
		return e
	}
	const maxInputs = 256
	if len(inputs) > maxInputs {
		return invalid("input", "%d inputs; at most %d", len(inputs), maxInputs)
	}
	ctxLen, total := s.cfg.Model.ContextLength(), 0
	for i, ids := range inputs {
		if len(ids) > ctxLen {
			e := invalid("input", "input %d has %d tokens; the context length is %d", i, len(ids), ctxLen)
			e.Code = strp("context_length_exceeded")
			return e
		}
		total += len(ids)
	}
	data := make([]any, len(inputs))
	s.embedMu.Lock() // one embedding batch at a time beside the scheduler
	defer s.embedMu.Unlock()
	for i, ids := range inputs {
		if err := r.Context().Err(); err != nil {
			return nil
		}
		v, err := emb.Embed(ids)
		if err != nil {
			return &apiError{Status: http.StatusInternalServerError, Message: fmt.Sprintf("input %d: %v", i, err), Type: "server_error"}
		}
		var out any = v
		if format == "base64" {
			b := make([]byte, 4*len(v))
			for k, x := range v {
				binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(x))
			}
			out = base64.StdEncoding.EncodeToString(b)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": out}
	}
	writeJSON(w, map[string]any{"object": "list", "data": data, "model": s.cfg.ModelID,
		"usage": map[string]int{"prompt_tokens": total, "total_tokens": total}})
	return nil
}
