package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// runCLI runs llmpipe with args and stdin, returning stdout.
func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// runResultOf runs `llmpipe run --json` with args and decodes its result.
func runResultOf(t *testing.T, args ...string) runResult {
	t.Helper()
	out, err := runCLI(t, "", append([]string{"run", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	var r runResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("run %v: %v in %q", args, err, out)
	}
	return r
}

// TestTokenizeMatchesReferences drives `llmpipe tokenize --jsonl` over the 24
// reference strings for every tokenizer in reference/tokenizer_vectors.json,
// with the flags that select each reference tool's semantics.
func TestTokenizeMatchesReferences(t *testing.T) {
	v := shared.LoadTokenizerVectors(t)
	var in strings.Builder
	for _, s := range v.Strings {
		b, _ := json.Marshal(s)
		in.Write(b)
		in.WriteByte('\n')
	}
	type run struct {
		set   string // vector set key
		path  string // tokenizer path relative to the shared data folder
		flags []string
		with  bool // compare with IDsWithSpecial instead of IDs
	}
	var runs []run
	for _, enc := range []string{"r50k_base", "p50k_base", "cl100k_base", "o200k_base"} {
		p := "tokenizers/tiktoken/" + enc + ".tiktoken"
		runs = append(runs,
			run{set: "tiktoken:" + enc, path: p},
			run{set: "tiktoken:" + enc + ":allow_all_special", path: p, flags: []string{"--special"}})
	}
	for _, dir := range []string{"llama3", "qwen3", "gpt4o", "mistral7b-v0.1-from-lenml-llama2", "bert-base-uncased", "pegasus"} {
		p := "tokenizers/hf/" + dir
		// HF's encode parses added tokens even with add_special_tokens=False.
		runs = append(runs,
			run{set: "hf:" + dir, path: p, flags: []string{"--special"}},
			run{set: "hf:" + dir, path: p, flags: []string{"--special", "--add-special"}, with: true})
	}
	runs = append(runs, run{set: "sentencepiece:llama2-tokenizer.model", path: "tokenizers/llama2-sentencepiece/tokenizer.model"})
	for key := range v.Tokenizers {
		if p, ok := strings.CutPrefix(key, "llama.cpp:"); ok {
			runs = append(runs, run{set: key, path: p})
		}
	}
	for _, r := range runs {
		name := r.set + fmt.Sprint(r.flags)
		t.Run(name, func(t *testing.T) {
			want := v.Set(t, r.set).IDs
			if r.with {
				want = v.Set(t, r.set).IDsWithSpecial
			}
			args := append([]string{"tokenize", "--jsonl", "--tokenizer", shared.Path(t, r.path)}, r.flags...)
			out, err := runCLI(t, in.String(), args...)
			if err != nil {
				t.Fatalf("llmpipe %s: %v", strings.Join(args, " "), err)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != len(want) {
				t.Fatalf("%d output lines for %d inputs", len(lines), len(want))
			}
			for i, line := range lines {
				var got []int
				if err := json.Unmarshal([]byte(line), &got); err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				if fmt.Sprint(got) != fmt.Sprint(want[i]) {
					t.Errorf("string %d %q:\n got  %v\n want %v", i, v.Strings[i], got, want[i])
				}
			}
		})
	}
}

func TestTokenizeDecodeRoundTrip(t *testing.T) {
	p := shared.Path(t, "tokenizers/tiktoken/cl100k_base.tiktoken")
	out, err := runCLI(t, "Hello, world!", "tokenize", "--tokenizer", p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "[9906,11,1917,0]" {
		t.Fatalf("tokenize = %s, want [9906,11,1917,0] (tiktoken's ids)", out)
	}
	dec, err := runCLI(t, out, "tokenize", "--tokenizer", p, "--decode")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(dec) != `"Hello, world!"` {
		t.Fatalf("decode = %s", dec)
	}
}

func TestTokenizeErrors(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{name: "missing file", args: []string{"tokenize", "--tokenizer", "/nonexistent/tokenizer.json"}, want: "no such file"},
		{name: "unknown extension", args: []string{"tokenize", "--tokenizer", "main.go"}, want: "unknown file type"},
		{name: "stray argument", args: []string{"tokenize", "extra"}, want: "unexpected arguments"},
		{name: "train without files", args: []string{"tokenize", "--train", "--out", "x.json"}, want: "at least one corpus file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCLI(t, tc.stdin, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestTokenizeDecodeSkipSpecial(t *testing.T) {
	// HF decode of Llama 3's <|begin_of_text|> + "Hello": with
	// skip_special_tokens False and True (the reference `decoded` strings of
	// tokenizer_vectors.json come from the same decode).
	p := shared.Path(t, "tokenizers/hf/llama3")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{args: nil, want: `"<|begin_of_text|>Hello"`},
		{args: []string{"--skip-special"}, want: `"Hello"`},
	} {
		out, err := runCLI(t, "[128000,9906]", append([]string{"tokenize", "--tokenizer", p, "--decode"}, tc.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(out) != tc.want {
			t.Errorf("decode %v = %s, want %s", tc.args, out, tc.want)
		}
	}
}
