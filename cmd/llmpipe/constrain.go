package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/llmpipe/llmpipe/grammar"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/spf13/cobra"
)

// constraintFlags are run's constrained-decoding flags: --json-schema FILE
// and --grammar FILE (GBNF), plus --grammar-spaces.
type constraintFlags struct {
	schemaPath, grammarPath string
	spaced                  bool
}

func (c *constraintFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.schemaPath, "json-schema", "", "constrain the output to JSON valid against this JSON Schema file (compact JSON; see --grammar-spaces)")
	fl.StringVar(&c.grammarPath, "grammar", "", "constrain the output to this GBNF grammar file (llama.cpp's grammar syntax; the rule root is the start)")
	fl.BoolVar(&c.spaced, "grammar-spaces", false, "with --json-schema: allow one optional space after each JSON token")
}

// grammar returns the grammar the flags ask for, or nil when neither flag
// is given.
func (c *constraintFlags) grammar() (*grammar.Grammar, error) {
	switch {
	case c.schemaPath != "" && c.grammarPath != "":
		return nil, errors.New("--json-schema and --grammar cannot be combined")
	case c.schemaPath != "":
		b, err := os.ReadFile(c.schemaPath)
		if err != nil {
			return nil, fmt.Errorf("--json-schema: %w", err)
		}
		ws := grammar.Compact
		if c.spaced {
			ws = grammar.Spaced
		}
		g, err := grammar.CompileJSONSchema(b, grammar.SchemaOptions{Whitespace: ws})
		if err != nil {
			return nil, fmt.Errorf("--json-schema %s: %w", c.schemaPath, err)
		}
		return g, nil
	case c.grammarPath != "":
		b, err := os.ReadFile(c.grammarPath)
		if err != nil {
			return nil, fmt.Errorf("--grammar: %w", err)
		}
		g, err := grammar.Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("--grammar %s: %w", c.grammarPath, err)
		}
		return g, nil
	}
	return nil, nil
}

// matcher builds the token-level matcher of g over tok's vocabulary: end of
// generation (EOS and the other EOG ids) is allowed only where g may end.
// With maxTokens > 0 it finishes the grammar within that many tokens.
func constraintMatcher(g *grammar.Grammar, tok tokenizer.Tokenizer, maxTokens int) (*grammar.Matcher, error) {
	vocab, err := tokenizer.VocabBytes(tok)
	if err != nil {
		return nil, fmt.Errorf("constrained decoding: %w", err)
	}
	m, err := grammar.NewMatcher(g, vocab, tok.Specials().EndIDs())
	if err != nil {
		return nil, fmt.Errorf("constrained decoding: %w", err)
	}
	if maxTokens > 0 {
		m.SetMaxTokens(maxTokens)
	}
	return m, nil
}
