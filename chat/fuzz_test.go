package chat

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// FuzzRender parses and renders arbitrary templates with arbitrary
// messages: it must never panic or hang.
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
		if err == nil && len(got) > 300<<20 {
			t.Errorf("output of %d bytes", len(got))
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
