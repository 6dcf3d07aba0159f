package chat

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/chat/jinja"
)

func mustRender(t *testing.T, src string, args Args, opts Options) string {
	t.Helper()
	tmpl, err := ParseOptions(src, opts)
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	out, err := tmpl.Render(args)
	if err != nil {
		t.Fatalf("render %q: %v", src, err)
	}
	return out
}

// TestToJSON checks tojson against Python's json.dumps output (the expected
// strings are what CPython 3 prints for the same calls).
func TestToJSON(t *testing.T) {
	obj := json.RawMessage(`{"z": 1, "a": [1.0, 2.5, -0.0, 1e16, 1e-05, 0.0001, 123456789.0, 1.5e300], "s": "é<&>\"\\\n\t\u0001\u007f😀", "n": null, "t": true, "e": {}, "l": []}`)
	tests := []struct {
		name, expr, want string
	}{
		{"default", `x | tojson`, `{"z": 1, "a": [1.0, 2.5, -0.0, 1e+16, 1e-05, 0.0001, 123456789.0, 1.5e+300], "s": "é<&>\"\\\n\t\u0001` + "\x7f" + `😀", "n": null, "t": true, "e": {}, "l": []}`},
		{"sort_keys", `x | tojson(sort_keys=true)`, `{"a": [1.0, 2.5, -0.0, 1e+16, 1e-05, 0.0001, 123456789.0, 1.5e+300], "e": {}, "l": [], "n": null, "s": "é<&>\"\\\n\t\u0001` + "\x7f" + `😀", "t": true, "z": 1}`},
		{"ensure_ascii", `x.s | tojson(ensure_ascii=true)`, `"\u00e9<&>\"\\\n\t\u0001\u007f\ud83d\ude00"`},
		{"separators", `x.a[:2] | tojson(separators=(',', ':'))`, `[1.0,2.5]`},
		{"indent", `{'k': [1, {'m': 'v'}], 'e': []} | tojson(indent=2)`, "{\n  \"k\": [\n    1,\n    {\n      \"m\": \"v\"\n    }\n  ],\n  \"e\": []\n}"},
		// @huggingface/jinja: indent=0 does not indent (Python's would
		// break lines), positional and unknown arguments are ignored, and
		// an undefined value is null.
		{"indent zero", `[1, 2] | tojson(indent=0)`, "[1, 2]"},
		{"positional indent", `[1] | tojson(false, 1)`, "[1]"},
		{"unknown argument", `[1] | tojson(nope=1)`, "[1]"},
		{"undefined", `undefined_thing | tojson`, "null"},
		{"string", `'a"b' | tojson`, `"a\"b"`},
		{"inside set", `{% set j = x.z | tojson %}`, ``},
		{"in string literal untouched", `'| tojson'`, `| tojson`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "{{ " + tc.expr + " }}"
			if strings.HasPrefix(tc.expr, "{%") {
				src = tc.expr
			}
			got := mustRender(t, src, Args{Extra: map[string]any{"x": obj}}, Options{})
			if got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	for _, bad := range []string{`{{ x | tojson(indent='\t') }}`, `{{ x | tojson(separators=[1]) }}`} {
		tmpl, err := Parse(bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tmpl.Render(Args{Extra: map[string]any{"x": 1}}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestPyFloat(t *testing.T) {
	// Expected values are Python's repr(float).
	for f, want := range map[float64]string{
		0: "0.0", 1: "1.0", -2.5: "-2.5", 0.1: "0.1", 1e15: "1000000000000000.0", 1e16: "1e+16",
		1.25e-5: "1.25e-05", 0.001: "0.001", 3.141592653589793: "3.141592653589793", 1e100: "1e+100",
		5e-324: "5e-324", 1.7976931348623157e308: "1.7976931348623157e+308", 12345678901234567: "1.2345678901234568e+16",
	} {
		if got := jinja.PyFloat(f, true); got != want {
			t.Errorf("pyFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestStrftime(t *testing.T) {
	at := time.Date(2024, time.July, 4, 9, 5, 3, 123456000, time.UTC)
	// Expected values are what Python's datetime.strftime prints on glibc.
	tests := map[string]string{
		"%d %b %Y":          "04 Jul 2024",
		"%-d %B %Y":         "4 July 2024",
		"%Y-%m-%d %H:%M:%S": "2024-07-04 09:05:03",
		"%A %a %I%p %j %f":  "Thursday Thu 09AM 186 123456",
		"%y %e %% %Q":       "24  4 % %Q",
		"%F %T %Z":          "2024-07-04 09:05:03 UTC",
	}
	for format, want := range tests {
		if got := strftime(at, format); got != want {
			t.Errorf("strftime(%q) = %q, want %q", format, got, want)
		}
	}
	got := mustRender(t, `{{ strftime_now("%d %b %Y") }}`, Args{}, Options{Now: func() time.Time { return at }})
	if got != "04 Jul 2024" {
		t.Errorf("strftime_now with injected clock = %q", got)
	}
}

func TestRaiseException(t *testing.T) {
	tmpl, err := Parse("{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('Tool role is not supported: ' ~ loop.index0) }}{% endif %}{% endfor %}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.Render(Args{Messages: []Message{NewMessage("user", "hi"), NewMessage("tool", "x")}})
	var ce *Error
	if !errors.As(err, &ce) || !ce.Raised || ce.Msg != "Tool role is not supported: 1" {
		t.Fatalf("err = %#v (%v), want a raised *Error", err, err)
	}
	if !strings.Contains(err.Error(), "Tool role is not supported: 1") {
		t.Errorf("message lost: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unclosed if", "line one\n{% if x %}\nbody", "line 2"},
		{"unclosed for in macro", "{% macro m() %}\n\n{% for x in y %}{% endmacro %}", "line 3"},
		{"unclosed tag", "a\nb {{ x ", "line 2"},
		{"bad expression", "\n\n{{ x + }}", "line 3"},
		{"unknown statement", "\n{% frobnicate %}", "line 2"},
		{"endfor without for", "{% endfor %}", "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) error = %v, want it to mention %q", tc.src, err, tc.want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name, src string
		opts      Options
	}{
		{"nested loops", "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}", Options{}},
		{"recursive macro", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", Options{}},
		{"mutual recursion", "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}", Options{}},
		{"huge range", "{{ range(10000000000) | length }}", Options{MaxSteps: 1000}},
		{"steps option", "{% for a in range(50) %}{% endfor %}", Options{MaxSteps: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := ParseOptions(tc.src, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			// The step limit, not the 10⁹ iterations, ends it (a hang would
			// hit go test's timeout); no wall-clock bound: CI machines are busy.
			_, err = tmpl.Render(Args{})
			if !errors.Is(err, ErrLimit) {
				t.Errorf("err = %v, want ErrLimit", err)
			}
		})
	}
	t.Run("context", func(t *testing.T) {
		tmpl, err := Parse("{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := tmpl.RenderContext(ctx, Args{}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("engine panic becomes error", func(t *testing.T) {
		tmpl, err := Parse("{{ 'a' * -1 }}")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tmpl.Render(Args{}); err == nil {
			t.Error("no error")
		}
	})
	t.Run("macros within the depth limit still work", func(t *testing.T) {
		src := "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}"
		if got := mustRender(t, src, Args{}, Options{}); got != "54321" {
			t.Errorf("got %q", got)
		}
	})
}

// instrumentSeeds seed FuzzRender.
var instrumentSeeds = []string{
	"{% for m in messages %}\n  {{ m.role }}\n{% endfor %}\n",
	"{%- for m in messages -%}\n\n  {{- m.content }} \n{%- endfor %}\n\nend",
	"{% macro r(x) -%}\n  [{{ x }}]\n{%- endmacro %}\n{% for m in messages %}{{ r(m.role) }}\n\n{% else %}none{% endfor %}",
	"  {% macro r(x) %}\n\t{{ x }}  \n  {% endmacro %}\n  {{ r(1) }}{% raw %}{% for x in y %}{% endraw %}",
	"{% for a in [1,2] %}{% for b in 'xy' %}{{ a }}{{ b }}{% if b == 'x' %}{% continue %}{% endif %}.{% endfor %}\n{% endfor %}",
	"{# c #}\n{% set ns = namespace(n=0) %}{% for m in messages[::-1] %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}",
}

func mustValue(t *testing.T, v any) jinja.Value {
	t.Helper()
	jv, err := toValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return jv
}

func TestArgs(t *testing.T) {
	src := `{{ bos_token }}|{{ eos_token }}|{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ messages[0].content[0].text }}|{{ messages[0].tool_calls[0].function.arguments | tojson }}|{{ when }}`
	msg := Message{"role": "user", "content": []any{map[string]any{"type": "text", "text": "part"}},
		"tool_calls": json.RawMessage(`[{"function": {"arguments": {"b": 1, "a": 2}}}]`)}
	got := mustRender(t, src, Args{Messages: []Message{msg}, BOSToken: "<s>", EOSToken: "</s>", AddGenerationPrompt: true,
		Extra: map[string]any{"when": struct{ Y, M int }{2024, 7}}}, Options{})
	want := `<s>|</s>|true|true|true|part|{"b": 1, "a": 2}|{"Y": 2024, "M": 7}`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	if msg.Text() != "part" || msg.Role() != "user" {
		t.Errorf("Text/Role = %q/%q", msg.Text(), msg.Role())
	}
	tmpl, _ := Parse("x")
	if _, err := tmpl.Render(Args{Extra: map[string]any{"messages": 1}}); err == nil {
		t.Error("Extra may not override messages")
	}
	if _, err := tmpl.Render(Args{Tools: []json.RawMessage{json.RawMessage(`{"a":`)}}); err == nil {
		t.Error("bad tool JSON accepted")
	}
}

// TestForLoopFixes: none, numbers and undefined values are not iterable (as
// in @huggingface/jinja), and a filtered loop over pairs sees both targets in
// its condition (Mistral v0.3's "for key, val in tool|items if key !=
// 'return'").
func TestForLoopFixes(t *testing.T) {
	render := func(src string, extra map[string]any) (string, error) {
		tmpl, err := Parse(src)
		if err != nil {
			return "", err
		}
		return tmpl.Render(Args{Extra: extra})
	}
	for _, src := range []string{`{% for t in tools %}x{% endfor %}`, `{% for t in 3 %}x{% endfor %}`, `{% for t in nothing %}x{% else %}empty{% endfor %}`} {
		if out, err := render(src, nil); err == nil {
			t.Errorf("%s: got %q, want an error", src, out)
		}
	}
	tests := []struct{ src, want string }{
		{`{% for t in [] %}x{% else %}empty{% endfor %}`, "empty"},
		{`{% for k, v in d|items if k != "b" %}{{ k }}={{ v }}{{ "," if not loop.last }}{% endfor %}`, "a=1,c=3"},
		{`{% for k, v in d|items if v > 1 and k != "c" %}{{ k }}{% endfor %}`, "b"},
		{`{% for x in [3, 1, 2] if x > 1 %}{{ x }}{{ loop.index }}{% endfor %}`, "3122"},
		{`{% for x in ['a', 'b'] if x.startswith('b') %}{{ x }}{% endfor %}`, "b"},
		{`{%- for x in [1, 2] -%} {{ x }} {%- endfor %}`, "12"},
	}
	d := json.RawMessage(`{"a": 1, "b": 2, "c": 3}`)
	for _, tc := range tests {
		got, err := render(tc.src, map[string]any{"d": d})
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
}

// TestTrailingNewline: one trailing newline of the template is dropped, as
// Jinja2 (keep_trailing_newline=False) and @huggingface/jinja do (only
// "\n": @huggingface/jinja keeps the "\r" of a final "\r\n").
func TestTrailingNewline(t *testing.T) {
	for src, want := range map[string]string{"a\n": "a", "a\n\n": "a\n", "a\r\n": "a\r", "{{ 'x' }}\n": "x", "a": "a"} {
		if got := mustRender(t, src, Args{}, Options{}); got != want {
			t.Errorf("%q: got %q, want %q", src, got, want)
		}
	}
}
