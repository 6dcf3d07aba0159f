package grammar_test

import (
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/grammar"
)

// A toy vocabulary and a model that always prefers the same tokens: the
// matcher keeps only what the schema allows, so the text is valid JSON.
func Example() {
	g, err := grammar.CompileJSONSchema([]byte(`{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}`), grammar.SchemaOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	vocab := [][]byte{nil, []byte("{"), []byte(`"ok"`), []byte(":"), []byte("true"), []byte("}"), []byte("hello"), []byte(`{"`), []byte(`ok":`)}
	const eos = 0
	m, err := grammar.NewMatcher(g, vocab, []int{eos})
	if err != nil {
		fmt.Println(err)
		return
	}
	var out []byte
	for !m.Done() {
		logits := []float32{0, 1, 1, 1, 1, 1, 9, 2, 2} // "hello" is the model's favourite
		m.Mask(logits)
		best := 0
		for id, l := range logits {
			if l > logits[best] {
				best = id
			}
		}
		if math.IsInf(float64(logits[best]), -1) {
			break
		}
		if err := m.Accept(best); err != nil {
			fmt.Println(err)
			return
		}
		out = append(out, vocab[best]...)
	}
	fmt.Println(string(out))
	// Output: {"ok":true}
}

// Parse reports errors with their line and column.
func ExampleParse() {
	_, err := grammar.Parse("root ::= item+\nitem ::= [a-z\n")
	fmt.Println(err)
	// Output: grammar: line 2, column 10: unterminated character class
}
