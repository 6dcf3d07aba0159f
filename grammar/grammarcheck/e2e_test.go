package grammarcheck

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/grammar"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// loadModel opens a GGUF model and its vocabulary as cmd/llmpipe's run does.
func loadModel(t testing.TB, rel string) (model.Model, *llamavocab.Vocab) {
	t.Helper()
	f, err := gguf.OpenMapped(shared.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := model.NewRegistry(llama.Arch).Load(f)
	if err != nil {
		t.Fatal(err)
	}
	v, err := llamavocab.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m, v
}

// constrained runs greedy decoding (argmax over masked logits) under g and
// returns the generated text.
func constrained(t *testing.T, m model.Model, v *llamavocab.Vocab, g *grammar.Grammar, prompt string, maxTokens int) string {
	t.Helper()
	vocab, err := tokenizer.VocabBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	mt, err := grammar.NewMatcher(g, vocab, v.Specials().EOG)
	if err != nil {
		t.Fatal(err)
	}
	mt.SetMaxTokens(maxTokens)
	ids, err := v.Encode(prompt, tokenizer.EncodeOptions{AddSpecial: true})
	if err != nil {
		t.Fatal(err)
	}
	seq := m.NewSequence(model.SequenceOptions{})
	logits, err := seq.Forward(ids, false)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	masked := make([]float32, len(logits))
	for n := 0; n < maxTokens; n++ {
		copy(masked, logits)
		mt.Mask(masked)
		id, best := -1, float32(math.Inf(-1))
		for i, l := range masked {
			if l > best {
				id, best = i, l
			}
		}
		if id < 0 {
			t.Fatalf("step %d: every token masked after %q", n, out)
		}
		if err := mt.Accept(id); err != nil {
			t.Fatalf("step %d: %v", n, err)
		}
		if len(vocab[id]) == 0 { // end of generation
			break
		}
		out = append(out, vocab[id]...)
		if mt.Done() {
			break
		}
		if logits, err = seq.Forward([]int{id}, false); err != nil {
			t.Fatal(err)
		}
	}
	return string(out)
}

// validate checks a decoded JSON value against the subset of JSON Schema
// the tests use. It is written from the JSON Schema specification, apart
// from package grammar, so the two cannot share a mistake.
func validate(root, s map[string]any, v any, path string) error {
	if ref, ok := s["$ref"].(string); ok {
		re := regexp.MustCompile(`^#/(\$defs|definitions)/(.+)$`)
		mm := re.FindStringSubmatch(ref)
		if mm == nil {
			return fmt.Errorf("%s: bad $ref %s", path, ref)
		}
		return validate(root, root[mm[1]].(map[string]any)[mm[2]].(map[string]any), v, path)
	}
	if alts, ok := s["anyOf"].([]any); ok {
		for _, a := range alts {
			if validate(root, a.(map[string]any), v, path) == nil {
				return nil
			}
		}
		return fmt.Errorf("%s: %v matches no anyOf branch", path, v)
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		return fmt.Errorf("%s: %v is not the const %v", path, v, c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || fmt.Sprint(x) == fmt.Sprint(v)
		}
		if !found {
			return fmt.Errorf("%s: %v not in enum %v", path, v, e)
		}
	}
	switch s["type"] {
	case "object":
		o, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %v is not an object", path, v)
		}
		props, _ := s["properties"].(map[string]any)
		for _, r := range s["required"].([]any) {
			if _, ok := o[r.(string)]; !ok {
				return fmt.Errorf("%s: required %s missing", path, r)
			}
		}
		for k, x := range o {
			ps, ok := props[k]
			if !ok {
				if s["additionalProperties"] == true {
					continue
				}
				return fmt.Errorf("%s: property %s not allowed", path, k)
			}
			if err := validate(root, ps.(map[string]any), x, path+"/"+k); err != nil {
				return err
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %v is not an array", path, v)
		}
		if n, ok := s["minItems"].(float64); ok && float64(len(a)) < n {
			return fmt.Errorf("%s: %d items < minItems %v", path, len(a), n)
		}
		if n, ok := s["maxItems"].(float64); ok && float64(len(a)) > n {
			return fmt.Errorf("%s: %d items > maxItems %v", path, len(a), n)
		}
		if it, ok := s["items"].(map[string]any); ok {
			for i, x := range a {
				if err := validate(root, it, x, fmt.Sprintf("%s/%d", path, i)); err != nil {
					return err
				}
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: %v is not a string", path, v)
		}
		n := float64(len([]rune(str)))
		if m, ok := s["minLength"].(float64); ok && n < m {
			return fmt.Errorf("%s: %q shorter than %v", path, str, m)
		}
		if m, ok := s["maxLength"].(float64); ok && n > m {
			return fmt.Errorf("%s: %q longer than %v", path, str, m)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", path, str, p)
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("%s: %v is not a number", path, v)
		}
		if s["type"] == "integer" && f != math.Trunc(f) {
			return fmt.Errorf("%s: %v is not an integer", path, v)
		}
		if m, ok := s["minimum"].(float64); ok && f < m {
			return fmt.Errorf("%s: %v < minimum %v", path, f, m)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			return fmt.Errorf("%s: %v > maximum %v", path, f, m)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %v is not a boolean", path, v)
		}
	case "null":
		if v != nil {
			return fmt.Errorf("%s: %v is not null", path, v)
		}
	}
	return nil
}

var schemas = []struct {
	name, schema, prompt string
}{
	{"object required and optional", `{"type":"object","properties":{
		"name":{"type":"string","minLength":1,"maxLength":12},
		"age":{"type":"integer","minimum":1,"maximum":99},
		"nickname":{"type":"string","maxLength":8},
		"happy":{"type":"boolean"}},
		"required":["name","age"]}`, "Once upon a time, there was a girl named Lily."},
	{"array of enums", `{"type":"array","items":{"enum":["cat","dog","bird"]},"minItems":2,"maxItems":4}`, "Tim saw a cat and a dog."},
	{"nested object", `{"type":"object","properties":{
		"hero":{"type":"object","properties":{"name":{"type":"string","maxLength":10},"friend":{"type":"object","properties":{"kind":{"enum":["bunny","bear"]},"size":{"type":"number"}},"required":["kind","size"]}},"required":["name","friend"]},
		"done":{"type":"boolean"}},"required":["hero","done"]}`, "One day, a little boy went to the park."},
	{"numbers integers booleans null", `{"type":"object","properties":{
		"count":{"type":"integer"},"score":{"type":"number"},"ok":{"type":"boolean"},"none":{"type":"null"},
		"level":{"type":"integer","minimum":-5,"maximum":5}},
		"required":["count","score","ok","none","level"],"additionalProperties":false}`, "The sun was shining."},
	{"refs and anyOf", `{"$defs":{"pet":{"type":"object","properties":{"kind":{"const":"cat"},"age":{"type":"integer","minimum":0,"maximum":20}},"required":["kind","age"]}},
		"type":"object","properties":{"pets":{"type":"array","items":{"$ref":"#/$defs/pet"},"maxItems":2},"owner":{"anyOf":[{"type":"string","maxLength":6},{"type":"null"}]}},
		"required":["pets","owner"]}`, "Sue had a cat."},
	{"string pattern", `{"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]{2}-[0-9]{3}$"}},"required":["code"]}`, "The box said"},
}

func TestStoriesJSONSchema(t *testing.T) {
	m, v := loadModel(t, "models/stories260K.gguf")
	for _, tc := range schemas {
		t.Run(tc.name, func(t *testing.T) {
			g, err := grammar.CompileJSONSchema([]byte(tc.schema), grammar.SchemaOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out := constrained(t, m, v, g, tc.prompt, 120)
			t.Logf("%s", out)
			var val any
			if err := json.Unmarshal([]byte(out), &val); err != nil {
				t.Fatalf("output %q does not parse: %v", out, err)
			}
			var s map[string]any
			if err := json.Unmarshal([]byte(tc.schema), &s); err != nil {
				t.Fatal(err)
			}
			if err := validate(s, s, val, "#"); err != nil {
				t.Fatalf("output %q does not validate: %v", out, err)
			}
		})
	}
}

func TestStoriesGBNF(t *testing.T) {
	m, v := loadModel(t, "models/stories260K.gguf")
	for _, tc := range []struct{ name, src, prompt string }{
		{"arithmetic", `root ::= expr
expr ::= term (("+" | "-") term)*
term ::= factor (("*" | "/") factor)*
factor ::= [0-9]{1,3} | "(" expr ")"`, "Tom counted"},
		{"list", `root ::= ("- " item "\n"){2,4}
item ::= [a-z]+ (" " [a-z]+){0,3}`, "The list of toys:"},
		{"json", `root ::= obj
val ::= obj | arr | str | [0-9]{1,4} | "true" | "false" | "null"
obj ::= "{" (str ":" val ("," str ":" val){0,3})? "}"
arr ::= "[" (val ("," val){0,3})? "]"
str ::= "\"" [a-zA-Z .]{0,12} "\""`, "Lily said"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := grammar.Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			out := constrained(t, m, v, g, tc.prompt, 60)
			t.Logf("%q", out)
			if !g.Match([]byte(out)) {
				t.Fatalf("output %q is not a sentence of the grammar", out)
			}
			if tc.name == "json" && !json.Valid([]byte(out)) {
				t.Fatalf("output %q is not JSON", out)
			}
		})
	}
}

// TestStoriesBudget cuts generation at small token budgets: with the
// matcher told the budget, the output must still be complete and valid.
func TestStoriesBudget(t *testing.T) {
	m, v := loadModel(t, "models/stories260K.gguf")
	tc := schemas[0]
	var s map[string]any
	if err := json.Unmarshal([]byte(tc.schema), &s); err != nil {
		t.Fatal(err)
	}
	g, err := grammar.CompileJSONSchema([]byte(tc.schema), grammar.SchemaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int{22, 26, 30, 40} {
		out := constrained(t, m, v, g, "Once upon a time, there was a big dog named Max who liked to run.", budget)
		var val any
		if err := json.Unmarshal([]byte(out), &val); err != nil {
			t.Fatalf("budget %d: output %q does not parse: %v", budget, out, err)
		}
		if err := validate(s, s, val, "#"); err != nil {
			t.Fatalf("budget %d: output %q does not validate: %v", budget, out, err)
		}
		t.Logf("budget %d: %s", budget, out)
	}
}

// TestMaskMatchesAccept walks seeded random documents on the stories260K
// vocabulary (512 tokens, byte fallback) and checks at every step that Mask
// allows exactly the ids that Accept takes, so the trie walk and the
// byte-by-byte automaton agree.
func TestMaskMatchesAccept(t *testing.T) {
	_, v := loadModel(t, "models/stories260K.gguf")
	vocab, err := tokenizer.VocabBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	voc, err := grammar.NewVocabulary(vocab, v.Specials().EOG)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{benchSchema, schemas[2].schema, schemas[4].schema} {
		g, err := grammar.CompileJSONSchema([]byte(src), grammar.SchemaOptions{Whitespace: grammar.Spaced})
		if err != nil {
			t.Fatal(err)
		}
		m, err := voc.Matcher(g)
		if err != nil {
			t.Fatal(err)
		}
		r := uint64(7)
		logits := make([]float32, len(vocab))
		for step := 0; step < 80 && !m.Done(); step++ {
			m.Mask(logits)
			var allowed []int
			for id := range vocab {
				ok := !math.IsInf(float64(logits[id]), -1)
				if got := m.Clone().Accept(id) == nil; got != ok {
					t.Fatalf("step %d: id %d %q: Mask allows %v, Accept takes %v", step, id, vocab[id], ok, got)
				}
				if ok {
					allowed = append(allowed, id)
				}
				logits[id] = 0
			}
			if len(allowed) == 0 {
				t.Fatalf("step %d: nothing allowed", step)
			}
			r = r*6364136223846793005 + 1442695040888963407
			if err := m.Accept(allowed[(r>>33)%uint64(len(allowed))]); err != nil {
				t.Fatal(err)
			}
		}
	}
}
