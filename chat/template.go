package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
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
var ErrLimit = errors.New("render limit reached")

// Parse parses a chat template with default [Options].
func Parse(source string) (*Template, error) {
	return ParseOptions(source, Options{})
}

// ParseOptions parses a chat template. Syntax errors name the line.
func ParseOptions(source string, opts Options) (t *Template, err error) {
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = DefaultMaxSteps
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rewritten, diag := instrument(trimTrailingNewline(source))
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("chat: parse template: engine panic: %v", r)
		}
	}()
	jt, err := jinja.Compile(rewritten)
	if err != nil {
		if diag != nil {
			// Ours names the block's opening line; the engine's may lack
			// any position.
			return nil, fmt.Errorf("chat: parse template: %w (engine: %v)", diag, err)
		}
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
func (t *Template) RenderContext(ctx context.Context, args Args) (out string, err error) {
	vars, err := t.variables(ctx, args)
	if err != nil {
		return "", err
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = "", &Error{Msg: fmt.Sprintf("engine panic: %v", r)}
		}
	}()
	out, err = t.tmpl.RenderValues(vars)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) || errors.Is(err, ErrLimit) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return "", err
		}
		return "", fmt.Errorf("chat: render: %w", err)
	}
	return out, nil
}

// variables builds the render's variables: HF's keyword arguments plus the
// per-render helpers the instrumented template calls.
func (t *Template) variables(ctx context.Context, args Args) (map[string]jinja.Value, error) {
	vars := map[string]jinja.Value{
		"bos_token": jinja.NewString(args.BOSToken),
		"eos_token": jinja.NewString(args.EOSToken),
		"tools":     jinja.None(),
		"documents": jinja.None(),
	}
	for k, v := range args.Extra {
		if k == "messages" || k == "add_generation_prompt" || strings.HasPrefix(k, hidden) {
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
	vars["messages"] = jinja.NewList(msgs)
	vars["add_generation_prompt"] = jinja.NewBool(args.AddGenerationPrompt)
	if args.Tools != nil {
		tools := make([]jinja.Value, len(args.Tools))
		for i, raw := range args.Tools {
			jv, err := decodeJSON(raw)
			if err != nil {
				return nil, fmt.Errorf("chat: tools[%d]: %w", i, err)
			}
			tools[i] = jv
		}
		vars["tools"] = jinja.NewList(tools)
	}

	r := &renderState{ctx: ctx, opts: t.opts}
	vars["raise_exception"] = jinja.NewCallable("raise_exception", raiseException)
	vars["strftime_now"] = jinja.NewCallable("strftime_now", r.strftimeNow)
	vars["range"] = jinja.NewCallable("range", r.rangeFn)
	vars[hidden+"step"] = jinja.NewCallable(hidden+"step", r.step)
	vars[hidden+"enter"] = jinja.NewCallable(hidden+"enter", r.enter)
	vars[hidden+"leave"] = jinja.NewCallable(hidden+"leave", r.leave)
	vars[hidden+"tojson"] = jinja.NewCallable("tojson", tojsonFilter)
	vars[hidden+"iter"] = jinja.NewCallable(hidden+"iter", iterable)
	return vars, nil
}

// renderState is the mutable state of one render.
type renderState struct {
	ctx   context.Context
	opts  Options
	steps int
	depth int
}

var empty = jinja.NewString("")

func (r *renderState) step(_ []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	r.steps++
	if r.steps > r.opts.MaxSteps {
		return empty, fmt.Errorf("chat: render: more than %d loop iterations and macro calls: %w", r.opts.MaxSteps, ErrLimit)
	}
	if err := r.ctx.Err(); err != nil {
		return empty, fmt.Errorf("chat: render: %w", err)
	}
	return empty, nil
}

func (r *renderState) enter(args []jinja.Value, kw map[string]jinja.Value) (jinja.Value, error) {
	r.depth++
	if r.depth > r.opts.MaxDepth {
		return empty, fmt.Errorf("chat: render: macros nested more than %d deep: %w", r.opts.MaxDepth, ErrLimit)
	}
	return r.step(args, kw)
}

func (r *renderState) leave(_ []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	r.depth--
	return empty, nil
}

func raiseException(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	msg := ""
	if len(args) > 0 {
		msg = displayString(args[0])
	}
	return jinja.Undefined(), &Error{Msg: msg, Raised: true}
}

func (r *renderState) strftimeNow(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	if len(args) != 1 || !args[0].IsString() {
		return jinja.Undefined(), errors.New("strftime_now: want one format string")
	}
	return jinja.NewString(strftime(r.opts.Now(), args[0].AsString())), nil
}

// rangeFn is Python's range, bounded by MaxSteps items.
func (r *renderState) rangeFn(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	var a [3]int64
	for i, v := range args {
		if i >= 3 || !v.IsInt() {
			return jinja.Undefined(), errors.New("range: want 1 to 3 integer arguments")
		}
		a[i] = v.AsInt()
	}
	start, stop, step := int64(0), int64(0), int64(1)
	switch len(args) {
	case 1:
		stop = a[0]
	case 2:
		start, stop = a[0], a[1]
	case 3:
		start, stop, step = a[0], a[1], a[2]
	default:
		return jinja.Undefined(), errors.New("range: want 1 to 3 integer arguments")
	}
	if step == 0 {
		return jinja.Undefined(), errors.New("range: step must not be zero")
	}
	var items []jinja.Value
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); {
		if len(items) >= r.opts.MaxSteps {
			return jinja.Undefined(), fmt.Errorf("chat: render: range longer than %d: %w", r.opts.MaxSteps, ErrLimit)
		}
		items = append(items, jinja.NewInt(i))
		next := i + step
		if (step > 0) != (next > i) {
			break // overflow
		}
		i = next
	}
	return jinja.NewList(items), nil
}

// displayString is how Jinja prints v.
func displayString(v jinja.Value) string {
	switch {
	case v.IsString():
		return v.AsString()
	case v.IsUndefined(), v.IsNone():
		return ""
	}
	return v.String()
}

// trimTrailingNewline drops one newline ("\n", "\r\n" or "\r") at the end
// of a template, as Jinja2 does with keep_trailing_newline=False (the
// default that HF's environment keeps; @huggingface/jinja does the same).
// chat_template.jinja files and GGUF templates often end with one.
func trimTrailingNewline(s string) string {
	switch {
	case strings.HasSuffix(s, "\r\n"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "\n"), strings.HasSuffix(s, "\r"):
		return s[:len(s)-1]
	}
	return s
}

// iterable passes a for loop's sequence through, failing as Python does on
// values that cannot be iterated (none, numbers, booleans). An undefined
// value still loops zero times, as Jinja2's Undefined does.
func iterable(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	if len(args) != 1 {
		return jinja.Undefined(), errors.New("for: want one sequence")
	}
	v := args[0]
	switch {
	case v.IsNone():
		return v, errors.New("'NoneType' object is not iterable")
	case v.IsBool(), v.IsInt(), v.IsFloat(), v.IsCallable():
		return v, fmt.Errorf("%s is not iterable", v.String())
	}
	return v, nil
}
