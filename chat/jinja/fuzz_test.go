package jinja

import (
	"context"
	"testing"
	"time"
)

// FuzzTemplate parses and renders arbitrary templates: never a panic, and
// bounded time and output under the limits. Seeds: testdata/fuzz and the
// engine_diff.json sources.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"{% for m in messages %}{{ m.content | tojson(indent=2) }}{% endfor %}",
		"{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
		"{{ messages[::-1][0].content.split('</think>')[-1].lstrip() }}",
		"{% set ns = namespace(a=[]) %}{% for i in range(10) %}{% set ns.a = ns.a + ns.a + [i] %}{% endfor %}{{ ns.a | length }}",
		"{%- if x is defined -%}\n  {{- x ~ 'y' -}}\n{%- endif %}",
		"{% call(a) m(1) %}{{ a }}{% endcall %}",
		"{{ 'a' 'b' }}{{ (1, 2)[0] }}{{ {'a': {'b': 1}}.a.b }}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		vars := map[string]Value{
			"messages": ListValue([]Value{DictValue(dictOf("role", StringValue("user"), "content", StringValue("hi")))}),
			"x":        IntValue(1),
		}
		start := time.Now()
		out, err := tmpl.Render(ctx, vars, Limits{MaxSteps: 20000, MaxDepth: 50, MaxOutput: 1 << 20})
		if err == nil && len(out) > 1<<21 {
			t.Errorf("output of %d bytes", len(out))
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("render took %v", d)
		}
	})
}

func dictOf(kv ...any) *DictData {
	d := NewDict()
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1].(Value))
	}
	return d
}

// TestGrowthBounded: values doubled in a loop stop at the limits.
func TestGrowthBounded(t *testing.T) {
	for _, src := range []string{
		"{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
		"{% set ns = namespace(s=[1]) %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s | length }}",
	} {
		tmpl, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = tmpl.Render(context.Background(), nil, Limits{MaxOutput: 1 << 20, MaxSteps: 100000})
		if err == nil || time.Since(start) > 2*time.Second {
			t.Errorf("%s: err %v after %v", src, err, time.Since(start))
		}
	}
}
