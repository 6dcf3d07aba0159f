package grammar

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse: it must return a grammar or an
// error, never panic, and a grammar must be usable by Match and a matcher.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`root ::= "a"`,
		"root ::= (\"x\" | [a-z]+)* \"é\"?\nother ::= root{2,3}",
		`root ::= [^\n"\\]{0,5} . "\u00e9\U0001F600\x41"`,
		"root ::= a\n  | b\na ::= \"1\"\nb ::= \"2\" # comment",
		`root ::= root "a"`,
		`root ::= "a"{3,1}`,
		"",
	} {
		f.Add(s)
	}
	vocab := vocabOf("", "a", "ab", "é", "\xc3", "\xa9", " ", "x1", "\n", "\"")
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 2000 {
			t.Skip()
		}
		g, err := Parse(src)
		if err != nil {
			return
		}
		if len(g.elems) > 5000 {
			return // large ambiguous repetitions make matching slow (as in llama.cpp), not wrong
		}
		g.Match([]byte("ab"))
		m, err := NewMatcher(g, vocab, []int{0})
		if err != nil {
			t.Fatal(err)
		}
		logits := make([]float32, len(vocab))
		for range 4 {
			m.Mask(logits)
			for id := range logits {
				if m.Allowed(id) {
					if err := m.Accept(id); err != nil {
						t.Fatalf("allowed token %d refused: %v", id, err)
					}
					break
				}
			}
		}
	})
}

// FuzzJSONSchema feeds arbitrary schemas to the converter: an error or a
// grammar that parses, never a panic.
func FuzzJSONSchema(f *testing.F) {
	for _, s := range []string{
		`{"type":"object","properties":{"a":{"type":"integer","minimum":-3,"maximum":70}},"required":["a"]}`,
		`{"$defs":{"x":{"anyOf":[{"$ref":"#/$defs/x"},{"type":"null"}]}},"$ref":"#/$defs/x"}`,
		`{"type":"array","items":{"enum":["a",1,null]},"minItems":1,"maxItems":3}`,
		`{"type":"string","pattern":"^[a-z]{2,}(x|y)?\\d$"}`,
		`{"type":"object","additionalProperties":{"type":"string","format":"date"},"properties":{"k":{"const":true}}}`,
		`{"allOf":[{"properties":{"a":{}}},{"required":["a"]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, schema []byte) {
		if len(schema) > 2000 {
			t.Skip()
		}
		src, err := FromJSONSchema(schema, SchemaOptions{})
		if err != nil {
			return
		}
		if len(src) > 1<<20 {
			return
		}
		if _, err := Parse(src); err != nil && !strings.Contains(err.Error(), "left recursion") && !strings.Contains(err.Error(), "no finite text") {
			t.Fatalf("schema %s gave GBNF that does not parse: %v\n%s", schema, err, src)
		}
	})
}
