package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ardanlabs/jinja"
)

// FuzzRender parses and renders arbitrary templates with arbitrary
// messages: it must never panic or hang, and instrumenting must not change
// what the bare engine renders.
func FuzzRender(f *testing.F) {
	for _, s := range instrumentSeeds {
		f.Add(s, `[{"role":"user","content":"hi"}]`)
	}
	f.Add("{% for m in messages %}{{ m.content | tojson(indent=2) }}{{ raise_exception('x') if m.role == 'tool' }}{% endfor %}", `[{"role":"tool","content":{"a":[1.5,null]}}]`)
	f.Add("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", `[]`)
	f.Add("{{ messages[::-1][0].content.split('</think>')[-1].lstrip('\\n') }}", `[{"role":"assistant","content":"<think>a</think>\nb"}]`)
	f.Fuzz(func(t *testing.T, src, messages string) {
		var msgs []Message
		if json.Unmarshal([]byte(messages), &msgs) != nil {
			msgs = []Message{NewMessage("user", messages)}
		}
		tmpl, err := ParseOptions(src, Options{MaxSteps: 20000, MaxDepth: 50})
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		args := Args{Messages: msgs, Tools: []json.RawMessage{json.RawMessage(`{"type":"function"}`)}}
		got, err := tmpl.RenderContext(ctx, args)
		if err != nil || strings.Contains(src, "tojson") || strings.Contains(src, "strftime") || len(got) > 1<<20 {
			return
		}
		// The render finished within the limits, so the bare engine does
		// the same bounded work: it must print the same text.
		plain, err := jinja.Compile(src)
		if err != nil {
			t.Fatalf("Parse accepts %q, the bare engine does not: %v", src, err)
		}
		vars, err := tmpl.variables(ctx, args)
		if err != nil {
			t.Fatal(err)
		}
		for k := range vars {
			if strings.HasPrefix(k, hidden) || k == "range" || k == "strftime_now" {
				delete(vars, k)
			}
		}
		want, err := func() (s string, err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return plain.RenderValues(vars)
		}()
		if err == nil && got != want {
			t.Errorf("instrumented %q:\n got %q\nwant %q", src, got, want)
		}
	})
}

// FuzzParseTokenizerConfig feeds arbitrary bytes to the config reader and
// renders whatever template it finds.
func FuzzParseTokenizerConfig(f *testing.F) {
	f.Add([]byte(`{"chat_template": "{{ bos_token }}{{ messages[0].content }}", "bos_token": {"content": "<s>"}}`))
	f.Add([]byte(`{"chat_template": [{"name": "default", "template": "{% for m in messages %}{{ m.role }}{% endfor %}"}]}`))
	f.Add([]byte(`{"eos_token": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseTokenizerConfig(data)
		if err != nil {
			return
		}
		src, err := c.Select("", false)
		if err != nil {
			return
		}
		tmpl, err := ParseOptions(src, Options{MaxSteps: 20000, MaxDepth: 50})
		if err != nil {
			return
		}
		_, _ = tmpl.Render(Args{Messages: []Message{NewMessage("user", "hi")}, BOSToken: c.BOSToken})
	})
}
