package chat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTokenizerConfig(t *testing.T) {
	tests := []struct {
		name      string
		json      string
		templates map[string]string
		bos, eos  string
		wantErr   string
	}{
		{name: "string template", json: `{"chat_template": "T", "bos_token": "<s>", "eos_token": "</s>"}`,
			templates: map[string]string{"default": "T"}, bos: "<s>", eos: "</s>"},
		{name: "named list", json: `{"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "U"}]}`,
			templates: map[string]string{"default": "D", "tool_use": "U"}},
		{name: "AddedToken objects and null", json: `{"chat_template": null, "bos_token": null, "eos_token": {"__type": "AddedToken", "content": "<|im_end|>", "lstrip": false}, "additional_special_tokens": ["a"]}`,
			templates: map[string]string{}, eos: "<|im_end|>"},
		{name: "bad template kind", json: `{"chat_template": 3}`, wantErr: "chat_template"},
		{name: "list entry without template", json: `{"chat_template": [{"name": "x"}]}`, wantErr: "chat_template: [0]"},
		{name: "token object without content", json: `{"bos_token": {"x": 1}}`, wantErr: "bos_token"},
		{name: "not an object", json: `[1]`, wantErr: "cannot unmarshal"},
		{name: "null", json: `null`, wantErr: "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseTokenizerConfig([]byte(tc.json))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Templates) != len(tc.templates) {
				t.Errorf("templates = %v, want %v", c.Templates, tc.templates)
			}
			for k, v := range tc.templates {
				if c.Templates[k] != v {
					t.Errorf("templates[%q] = %q, want %q", k, c.Templates[k], v)
				}
			}
			if c.BOSToken != tc.bos || c.EOSToken != tc.eos {
				t.Errorf("bos/eos = %q/%q, want %q/%q", c.BOSToken, c.EOSToken, tc.bos, tc.eos)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	c := &Config{Templates: map[string]string{"default": "D", "tool_use": "U"}, Source: "x"}
	for _, tc := range []struct {
		name  string
		tools bool
		want  string
	}{{"", false, "D"}, {"", true, "U"}, {"default", true, "D"}, {"tool_use", false, "U"}} {
		if got, err := c.Select(tc.name, tc.tools); err != nil || got != tc.want {
			t.Errorf("Select(%q, %v) = %q, %v; want %q", tc.name, tc.tools, got, err, tc.want)
		}
	}
	if _, err := c.Select("rag", false); err == nil || !strings.Contains(err.Error(), "default, tool_use") {
		t.Errorf("unknown name: err = %v", err)
	}
	only := &Config{Templates: map[string]string{"rag": "R"}}
	if got, err := only.Select("", false); err != nil || got != "R" {
		t.Errorf("single template: %q, %v", got, err)
	}
	two := &Config{Templates: map[string]string{"rag": "R", "x": "X"}}
	if _, err := two.Select("", false); err == nil {
		t.Error("no default among two: no error")
	}
	if _, err := (&Config{}).Select("", false); err == nil {
		t.Error("no template: no error")
	}
}

func TestFromDir(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := FromDir(dir); err == nil {
		t.Error("empty folder: no error")
	}
	write("tokenizer_config.json", `{"chat_template": "OLD", "bos_token": "<s>", "pad_token": "<pad>"}`)
	write("chat_template.json", `{"chat_template": [{"name": "rag", "template": "RAG"}]}`)
	write("chat_template.jinja", "NEW")
	write("additional_chat_templates/tool_use.jinja", "TOOLS")
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"default": "NEW", "rag": "RAG", "tool_use": "TOOLS"}
	for k, v := range want {
		if c.Templates[k] != v {
			t.Errorf("Templates[%q] = %q, want %q", k, c.Templates[k], v)
		}
	}
	if c.BOSToken != "<s>" || c.Args().Extra["pad_token"] != "<pad>" {
		t.Errorf("special tokens: %q %v", c.BOSToken, c.Args().Extra)
	}
	j, err := Load(filepath.Join(dir, "chat_template.jinja"))
	if err != nil || j.Templates["default"] != "NEW" {
		t.Errorf("Load(.jinja) = %v, %v", j, err)
	}
	write("bad/tokenizer_config.json", `{"chat_template": 1}`)
	if _, err := Load(filepath.Join(dir, "bad")); err == nil || !strings.Contains(err.Error(), "tokenizer_config.json") {
		t.Errorf("bad config: err = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
}
