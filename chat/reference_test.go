package chat_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/internal/shared"
)

// TestReferenceVectors renders the llama3 and qwen3 templates with the
// conversation of reference/tokenizer_vectors.json and compares with
// transformers.js's apply_chat_template output.
func TestReferenceVectors(t *testing.T) {
	v := shared.LoadTokenizerVectors(t)
	for _, name := range []string{"llama3", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			ref, ok := v.Chat[name]
			if !ok {
				t.Fatalf("tokenizer_vectors.json has no chat template %q", name)
			}
			msgs := make([]chat.Message, len(ref.Messages))
			for i, raw := range ref.Messages {
				if err := json.Unmarshal(raw, &msgs[i]); err != nil {
					t.Fatalf("messages[%d]: %v", i, err)
				}
			}
			got := render(t, shared.Path(t, ref.TemplateSource), "", chat.Args{Messages: msgs, AddGenerationPrompt: true})
			if got != ref.Text {
				t.Errorf("render mismatch\n got: %q\nwant: %q", got, ref.Text)
			}
		})
	}
}

// hfCase is one case of testdata/hf_renders.json.
type hfCase struct {
	Name                string            `json:"name"`
	TemplateSource      string            `json:"template_source"`
	Messages            []chat.Message    `json:"messages"`
	Tools               []json.RawMessage `json:"tools"`
	AddGenerationPrompt bool              `json:"add_generation_prompt"`
	Extra               map[string]any    `json:"extra"`
	Text                string            `json:"text"`
}

// TestHFRenders checks the cases in testdata/hf_renders.json (tools,
// tool calls, reasoning, enable_thinking…), rendered by transformers.js
// (see testdata/PROVENANCE.md).
func TestHFRenders(t *testing.T) {
	b, err := os.ReadFile("testdata/hf_renders.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []hfCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			got := render(t, shared.Path(t, c.TemplateSource), "", chat.Args{
				Messages: c.Messages, Tools: c.Tools, AddGenerationPrompt: c.AddGenerationPrompt, Extra: c.Extra,
			})
			if got != c.Text {
				t.Errorf("render mismatch\n got: %q\nwant: %q", got, c.Text)
			}
		})
	}
}

// render loads the config at path, picks the template and renders args with
// the config's special tokens.
func render(t *testing.T, path, name string, args chat.Args) string {
	t.Helper()
	cfg, err := chat.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := cfg.Select(name, args.Tools != nil)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := chat.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	base := cfg.Args()
	args.BOSToken, args.EOSToken = base.BOSToken, base.EOSToken
	for k, v := range args.Extra {
		base.Extra[k] = v
	}
	args.Extra = base.Extra
	got, err := tmpl.Render(args)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
