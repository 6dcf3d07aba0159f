package chat

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// diffCase is one case of a differential fixture: a template, the variables
// @huggingface/jinja rendered it with, and its text or error.
type diffCase struct {
	Name     string                     `json:"name"`
	Source   string                     `json:"source"`
	Template string                     `json:"template"`
	Vars     map[string]json.RawMessage `json:"vars"`
	Text     *string                    `json:"text"`
	Error    string                     `json:"error"`
	PyText   *string                    `json:"py_text"`
	PyError  string                     `json:"py_error"`
}

// diffArgs maps a case's variables to Args as apply_chat_template does.
func diffArgs(vars map[string]json.RawMessage) (Args, error) {
	var a Args
	a.Extra = map[string]any{}
	for k, raw := range vars {
		switch k {
		case "messages":
			if err := json.Unmarshal(raw, &a.Messages); err != nil {
				return a, fmt.Errorf("messages: %w", err)
			}
		case "tools":
			if string(raw) == "null" {
				continue
			}
			if err := json.Unmarshal(raw, &a.Tools); err != nil {
				return a, fmt.Errorf("tools: %w", err)
			}
		case "add_generation_prompt":
			if err := json.Unmarshal(raw, &a.AddGenerationPrompt); err != nil {
				a.Extra[k] = raw
			}
		case "bos_token", "eos_token":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				a.Extra[k] = raw
				continue
			}
			if k == "bos_token" {
				a.BOSToken = s
			} else {
				a.EOSToken = s
			}
		default:
			a.Extra[k] = raw
		}
	}
	return a, nil
}

var fixedNow = time.Date(2025, 7, 10, 12, 0, 0, 0, time.UTC)

func runDiffCase(c diffCase) (got string, err error) {
	args, err := diffArgs(c.Vars)
	if err != nil {
		return "", err
	}
	tmpl, err := ParseOptions(c.Source, Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		return "", err
	}
	return tmpl.Render(args)
}

// TestDiffExternal compares with a fixture named by LLMPIPE_CHAT_DIFF (a
// development aid: see testdata/PROVENANCE.md).
func TestDiffExternal(t *testing.T) {
	p := os.Getenv("LLMPIPE_CHAT_DIFF")
	if p == "" {
		t.Skip("LLMPIPE_CHAT_DIFF not set")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []diffCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	bad := 0
	groups := map[string][]string{}
	for _, c := range fx.Cases {
		got, err := runDiffCase(c)
		okJS := (c.Text == nil) == (err != nil) && (c.Text == nil || got == *c.Text)
		okPy := (c.PyText == nil) == (err != nil) && (c.PyText == nil || got == *c.PyText)
		refsAgree := (c.Text == nil) == (c.PyText == nil) && (c.Text == nil || *c.Text == *c.PyText)
		var g string
		switch {
		case okJS && okPy:
			continue
		case refsAgree:
			g = "A: both refs agree, we differ"
		case okPy:
			g = "B: js differs (we match python)"
		case okJS:
			g = "C: python differs (we match js)"
		default:
			g = "D: all differ"
		}
		bad++
		ref := deref(c.Text)
		if okJS {
			ref = deref(c.PyText)
		}
		at := commonPrefix(got, ref)
		groups[g] = append(groups[g], fmt.Sprintf("%s: (at %d)\n  got  %s\n  js   %s\n  py   %s", c.Name, at, show(window(got, at), err), show(window(deref(c.Text), at), errOf(c.Error)), show(window(deref(c.PyText), at), errOf(c.PyError))))
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("== %s (%d)\n%s", k, len(groups[k]), strings.Join(groups[k], "\n"))
	}
	if bad > 0 {
		t.Errorf("%d of %d cases differ", bad, len(fx.Cases))
	}
}

func trunc(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func errOf(s string) error {
	if s == "" {
		return nil
	}
	return fmt.Errorf("%s", s)
}

func show(s string, err error) string {
	if err != nil {
		return "ERROR " + trunc(err.Error())
	}
	return fmt.Sprintf("%q", trunc(s))
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// window is s around offset at.
func window(s string, at int) string {
	lo, hi := max(0, at-80), min(len(s), at+160)
	if lo > len(s) {
		return ""
	}
	return s[lo:hi]
}
