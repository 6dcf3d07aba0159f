package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/internal/shared"
)

// runTemplate runs `llmpipe template args...` with stdin and returns stdout.
func runTemplate(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := newTemplateCmd()
	var out bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestTemplateCLIReference renders the reference conversations of
// reference/tokenizer_vectors.json end to end and compares with
// transformers.js's text.
func TestTemplateCLIReference(t *testing.T) {
	v := shared.LoadTokenizerVectors(t)
	for _, name := range []string{"llama3", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			ref := v.Chat[name]
			req, err := json.Marshal(map[string]any{"messages": ref.Messages, "add_generation_prompt": true})
			if err != nil {
				t.Fatal(err)
			}
			for _, from := range []string{shared.Path(t, ref.TemplateSource), filepath.Dir(shared.Path(t, ref.TemplateSource))} {
				out, err := runTemplate(t, string(req), "--from", from)
				if err != nil {
					t.Fatalf("--from %s: %v", from, err)
				}
				if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
					t.Errorf("output is not one JSON line: %q", out)
				}
				if strings.Contains(out, `\u003c`) {
					t.Errorf("output escapes HTML: %q", out)
				}
				var got string
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("output is not a JSON string: %v: %q", err, out)
				}
				if got != ref.Text {
					t.Errorf("--from %s:\n got: %q\nwant: %q", from, got, ref.Text)
				}
			}
		})
	}
}

func TestTemplateCLI(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tokenizer_config.json")
	tmpl := `{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}` +
		`{% if tools %}{% for t in tools %}{{ t | tojson }}{% endfor %}{% endif %}` +
		`{% if flag is defined %}[flag={{ flag }}]{% endif %}{% if add_generation_prompt %}{{ bos_token }}>{% endif %}` +
		`{% if messages|length > 2 %}{{ raise_exception('too many: ' ~ messages|length) }}{% endif %}`
	b, _ := json.Marshal(map[string]any{
		"chat_template": []map[string]string{{"name": "default", "template": tmpl}, {"name": "tool_use", "template": "TOOLS{{ tools|length }}"}},
		"bos_token":     map[string]any{"__type": "AddedToken", "content": "<s>"},
		"eos_token":     "</s>",
	})
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		stdin   string
		args    []string
		want    string // expected JSON output line
		wantErr string
	}{
		{name: "plain", stdin: `{"messages":[{"role":"user","content":"a<b>&"}],"add_generation_prompt":true}`,
			want: `"<user>a<b>&<s>>"`},
		// A dict prints as @huggingface/jinja 0.5.11 (transformers.js) prints
		// it: JSON with ", " and ": " separators, keys in input order.
		{name: "extra variable", stdin: `{"messages":[],"flag":{"z":1,"a":[1.5,"é",true,null]}}`,
			want: `"[flag={\"z\": 1, \"a\": [1.5, \"é\", true, null]}]"`},
		{name: "tools pick tool_use", stdin: `{"messages":[],"tools":[{"b":1},{"a":2}]}`, want: `"TOOLS2"`},
		{name: "tools with --name default keep key order", stdin: `{"messages":[],"tools":[{"z":1.0,"a":"x"}]}`,
			args: []string{"--name", "default"}, want: `"{\"z\": 1.0, \"a\": \"x\"}"`},
		{name: "raise_exception", stdin: `{"messages":[{},{},{}]}`, wantErr: "too many: 3"},
		{name: "unknown name", stdin: `{"messages":[]}`, args: []string{"--name", "rag"}, wantErr: `no chat template named "rag"`},
		{name: "no messages", stdin: `{}`, wantErr: `no "messages"`},
		{name: "not json", stdin: `[`, wantErr: "stdin"},
		{name: "bad add_generation_prompt", stdin: `{"messages":[],"add_generation_prompt":"yes"}`, wantErr: "add_generation_prompt"},
		{name: "tokenize option", stdin: `{"messages":[],"tokenize":true}`, wantErr: "tokenize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runTemplate(t, tc.stdin, append([]string{"--from", cfg}, tc.args...)...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q (out %q)", err, tc.wantErr, out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out != tc.want+"\n" {
				t.Errorf("got %s want %s", out, tc.want)
			}
		})
	}
	t.Run("list", func(t *testing.T) {
		out, err := runTemplate(t, "", "--from", cfg, "--list")
		if err != nil || out != "default\ntool_use\n" {
			t.Errorf("--list = %q, %v", out, err)
		}
	})
	t.Run("missing --from", func(t *testing.T) {
		if _, err := runTemplate(t, `{"messages":[]}`); err == nil {
			t.Error("no error without --from")
		}
	})
}

// TestTemplateCLIGGUF reads templates and special tokens from GGUF metadata.
func TestTemplateCLIGGUF(t *testing.T) {
	t.Run("synthetic", func(t *testing.T) {
		f := &gguf.File{KV: []gguf.KV{
			{Key: "tokenizer.ggml.tokens", Value: gguf.MustValue([]string{"<unk>", "<|bos|>", "<|eos|>"})},
			{Key: "tokenizer.ggml.bos_token_id", Value: gguf.MustValue(uint32(1))},
			{Key: "tokenizer.ggml.eos_token_id", Value: gguf.MustValue(uint32(2))},
			{Key: "tokenizer.chat_template", Value: gguf.MustValue("{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}")},
			{Key: "tokenizer.chat_template.tool_use", Value: gguf.MustValue("{{ bos_token }}{{ tools[0] | tojson }}")},
		}}
		var buf bytes.Buffer
		if _, err := gguf.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "m.gguf")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := runTemplate(t, `{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}`, "--from", path)
		if err != nil || out != `"<|bos|>a<|eos|>b<|eos|>"`+"\n" {
			t.Errorf("default: %q, %v", out, err)
		}
		out, err = runTemplate(t, `{"messages":[],"tools":[{"name":"f","x":[1,2.0]}]}`, "--from", path)
		if err != nil || out != `"<|bos|>{\"name\": \"f\", \"x\": [1, 2.0]}"`+"\n" {
			t.Errorf("tool_use: %q, %v", out, err)
		}
		out, err = runTemplate(t, "", "--from", path, "--list")
		if err != nil || out != "default\ntool_use\n" {
			t.Errorf("--list: %q, %v", out, err)
		}
	})
	t.Run("phi-3 vocab", func(t *testing.T) {
		// The file's template is {{ bos_token }} then, per message, user:
		// '<|user|>\n' + content + '<|end|>\n<|assistant|>\n' and assistant:
		// content + '<|end|>\n'; other roles print nothing. bos is token 1, <s>.
		path := shared.Path(t, "tokenizers/llama.cpp-vocab/ggml-vocab-phi-3.gguf")
		out, err := runTemplate(t, `{"messages":[{"role":"system","content":"S"},{"role":"user","content":"Hi"},{"role":"assistant","content":"Yo"}]}`, "--from", path)
		want := `"<s><|user|>\nHi<|end|>\n<|assistant|>\nYo<|end|>\n"` + "\n"
		if err != nil || out != want {
			t.Errorf("got %q, %v; want %q", out, err, want)
		}
	})
	t.Run("no template", func(t *testing.T) {
		path := shared.Path(t, "models/stories260K.gguf")
		if _, err := runTemplate(t, `{"messages":[]}`, "--from", path); err == nil || !strings.Contains(err.Error(), "tokenizer.chat_template") {
			t.Errorf("err = %v", err)
		}
	})
}
