package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/grammar"
	"github.com/llmpipe/llmpipe/internal/shared"
)

// TestRunJSONSchema: stories260K, which knows nothing of JSON, writes
// objects that parse and satisfy the schema (checked field by field here,
// not by the grammar package), greedy and sampled, within --max-tokens.
func TestRunJSONSchema(t *testing.T) {
	dir := t.TempDir()
	schema := `{"type":"object","properties":{
		"name":{"type":"string","minLength":1,"maxLength":12},
		"age":{"type":"integer","minimum":0,"maximum":20},
		"kind":{"enum":["cat","dog","bird"]},
		"tags":{"type":"array","items":{"type":"boolean"},"maxItems":3}},
		"required":["name","age","kind"],"additionalProperties":false}`
	path := filepath.Join(dir, "pet.json")
	if err := os.WriteFile(path, []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--max-tokens", "60"},
		{"--max-tokens", "40", "--temperature", "1", "--seed", "7"},
		{"--max-tokens", "80", "--temperature", "0.8", "--seed", "11", "--grammar-spaces"},
	} {
		got := runJSON(t, append([]string{"--prompt", "Once upon a time", "--json-schema", path}, args...)...)
		t.Logf("%v: %s (%s)", args, got.Text, got.FinishReason)
		var v map[string]any
		if err := json.Unmarshal([]byte(got.Text), &v); err != nil {
			t.Fatalf("%v: output %q does not parse: %v", args, got.Text, err)
		}
		name, ok := v["name"].(string)
		if !ok || len([]rune(name)) < 1 || len([]rune(name)) > 12 {
			t.Errorf("%v: name %v in %s", args, v["name"], got.Text)
		}
		age, ok := v["age"].(float64)
		if !ok || age != float64(int(age)) || age < 0 || age > 20 {
			t.Errorf("%v: age %v in %s", args, v["age"], got.Text)
		}
		if k, _ := v["kind"].(string); !slices.Contains([]string{"cat", "dog", "bird"}, k) {
			t.Errorf("%v: kind %v in %s", args, v["kind"], got.Text)
		}
		if tags, ok := v["tags"]; ok {
			arr, ok := tags.([]any)
			if !ok || len(arr) > 3 {
				t.Errorf("%v: tags %v", args, tags)
			}
			for _, x := range arr {
				if _, ok := x.(bool); !ok {
					t.Errorf("%v: tag %v is not a boolean", args, x)
				}
			}
		}
		for k := range v {
			if !slices.Contains([]string{"name", "age", "kind", "tags"}, k) {
				t.Errorf("%v: unexpected property %q", args, k)
			}
		}
	}
}

// TestRunGrammar: a GBNF arithmetic grammar; the output is a whole sentence
// of the grammar (its own recognizer accepts it) and uses only its
// characters.
func TestRunGrammar(t *testing.T) {
	src := `root ::= expr
expr ::= term (("+" | "-") term){0,3}
term ::= [1-9] [0-9]{0,2} | "(" expr ")"
`
	path := filepath.Join(t.TempDir(), "arith.gbnf")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := grammar.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--max-tokens", "30"}, {"--max-tokens", "30", "--temperature", "1.2", "--seed", "5"}} {
		got := runJSON(t, append([]string{"--prompt", "Once upon a time", "--grammar", path}, args...)...)
		t.Logf("%v: %s (%s)", args, got.Text, got.FinishReason)
		if !g.Match([]byte(got.Text)) || strings.Trim(got.Text, "0123456789+-()") != "" {
			t.Errorf("%v: output %q is not a sentence of the grammar", args, got.Text)
		}
	}
}

// TestRunConstraintErrors: bad schema and grammar files give errors that
// name the flag and the problem.
func TestRunConstraintErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"type":"object","uniqueItems":true}`), 0o644)
	gb := filepath.Join(dir, "bad.gbnf")
	os.WriteFile(gb, []byte("root ::= foo\n"), 0o644)
	model := shared.Path(t, "models/stories260K.gguf")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--json-schema", bad}, "uniqueItems"},
		{[]string{"--grammar", gb}, "foo"},
		{[]string{"--json-schema", filepath.Join(dir, "missing.json")}, "--json-schema"},
		{[]string{"--json-schema", bad, "--grammar", gb}, "cannot be combined"},
		{[]string{"--grammar", gb, "--beams", "2"}, "foo"},
	} {
		_, err := runCLI(t, "", append([]string{"run", "--model", model, "--prompt", "x"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}
