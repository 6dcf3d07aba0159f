package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/llmpipe/llmpipe/chat/jinja"
)

// Default limits for a render; see [Options].
const (
	DefaultMaxSteps = 1 << 20
	DefaultMaxDepth = 256
)

// Options tune how a [Template] renders.
type Options struct {
	// Now is the clock strftime_now reads; nil means time.Now.
	Now func() time.Time
	// MaxSteps bounds the for-loop iterations plus macro calls of one
	// render (and the length of a range()); 0 means [DefaultMaxSteps].
	MaxSteps int
	// MaxDepth bounds how deeply macros may call each other; 0 means
	// [DefaultMaxDepth].
	MaxDepth int
}

// Template is a parsed chat template. It is safe for concurrent use.
type Template struct {
	source string
	tmpl   *jinja.Template
	opts   Options
}

// Args are the arguments of HF's apply_chat_template that reach the
// template.
type Args struct {
	// Messages is the conversation.
	Messages []Message
	// Tools are JSON tool (function) definitions, rendered with their key
	// order kept. Nil passes tools=None, as HF does.
	Tools []json.RawMessage
	// AddGenerationPrompt asks the template to open an assistant turn.
	AddGenerationPrompt bool
	// BOSToken and EOSToken are the texts of the tokenizer's BOS and EOS
	// tokens (bos_token, eos_token).
	BOSToken, EOSToken string
	// Extra holds any other template variables (enable_thinking,
	// date_string, documents, pad_token, …). Values may be anything
	// [Message] values may be. Extra may override bos_token, eos_token,
	// tools (when Tools is nil) and documents, but not messages or
	// add_generation_prompt.
	Extra map[string]any
}

// Error is an error raised while rendering: the template called
// raise_exception (Raised is true), or a limit or the context stopped it.
type Error struct {
	// Msg is the message, e.g. raise_exception's argument.
	Msg string
	// Raised is true when the template itself called raise_exception.
	Raised bool
}

// Error implements error.
func (e *Error) Error() string {
	if e.Raised {
		return "chat: template raised: " + e.Msg
	}
	return "chat: " + e.Msg
}

// ErrLimit is wrapped by the errors of renders stopped by MaxSteps or
// MaxDepth.
var ErrLimit = jinja.ErrLimit

// Parse parses a chat template with default [Options].
func Parse(source string) (*Template, error) {
	return ParseOptions(source, Options{})
}

// ParseOptions parses a chat template. Syntax errors name the line.
func ParseOptions(source string, opts Options) (*Template, error) {
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = DefaultMaxSteps
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	jt, err := jinja.Parse(source)
	if err != nil {
		return nil, fmt.Errorf("chat: parse template: %w", err)
	}
	return &Template{source: source, tmpl: jt, opts: opts}, nil
}

// Source returns the template text as given to Parse.
func (t *Template) Source() string { return t.source }

// Render renders the template with args, as HF's apply_chat_template(...,
// tokenize=False) does.
func (t *Template) Render(args Args) (string, error) {
	return t.RenderContext(context.Background(), args)
}

// RenderContext is [Template.Render] that stops early, with ctx's error,
// when ctx is done.
func (t *Template) RenderContext(ctx context.Context, args Args) (string, error) {
	vars, err := t.variables(args)
	if err != nil {
		return "", err
	}
	out, err := t.tmpl.Render(ctx, vars, jinja.Limits{MaxSteps: t.opts.MaxSteps, MaxDepth: t.opts.MaxDepth})
	if err != nil {
		var ce *Error
		switch {
		case errors.As(err, &ce):
			return "", ce
		case errors.Is(err, ErrLimit), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return "", fmt.Errorf("chat: render: %w", err)
		}
		return "", fmt.Errorf("chat: render: %w", err)
	}
	return out, nil
}

// variables builds the render's variables: HF's keyword arguments plus the
// globals raise_exception and strftime_now.
func (t *Template) variables(args Args) (map[string]jinja.Value, error) {
	vars := map[string]jinja.Value{
		"bos_token": jinja.StringValue(args.BOSToken),
		"eos_token": jinja.StringValue(args.EOSToken),
		"tools":     jinja.NoneValue(),
		"documents": jinja.NoneValue(),
	}
	for k, v := range args.Extra {
		if k == "messages" || k == "add_generation_prompt" {
			return nil, fmt.Errorf("chat: Extra[%q]: reserved name", k)
		}
		jv, err := toValue(v)
		if err != nil {
			return nil, fmt.Errorf("chat: Extra[%q]: %w", k, err)
		}
		vars[k] = jv
	}
	msgs := make([]jinja.Value, len(args.Messages))
	for i, m := range args.Messages {
		jv, err := toValue(m)
		if err != nil {
			return nil, fmt.Errorf("chat: messages[%d]: %w", i, err)
		}
		msgs[i] = jv
	}
	vars["messages"] = jinja.ListValue(msgs)
	vars["add_generation_prompt"] = jinja.BoolValue(args.AddGenerationPrompt)
	if args.Tools != nil {
		tools := make([]jinja.Value, len(args.Tools))
		for i, raw := range args.Tools {
			jv, err := decodeJSON(raw)
			if err != nil {
				return nil, fmt.Errorf("chat: tools[%d]: %w", i, err)
			}
			tools[i] = jv
		}
		vars["tools"] = jinja.ListValue(tools)
	}
	now := t.opts.Now
	vars["raise_exception"] = jinja.FuncValue(raiseException)
	vars["strftime_now"] = jinja.FuncValue(func(a jinja.Args) (jinja.Value, error) {
		if len(a.Pos) < 1 || a.Pos[0].Kind() != jinja.String {
			return jinja.UndefinedValue(), errors.New("strftime_now: want one format string")
		}
		return jinja.StringValue(strftime(now(), a.Pos[0].Str())), nil
	})
	return vars, nil
}

func raiseException(a jinja.Args) (jinja.Value, error) {
	msg := ""
	if len(a.Pos) > 0 {
		msg = a.Pos[0].String()
	}
	return jinja.UndefinedValue(), &Error{Msg: msg, Raised: true}
}
