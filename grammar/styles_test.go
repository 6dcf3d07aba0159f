package grammar

import "testing"

// TestGrammarStyles parses grammars written in the layouts GBNF files use
// (our own grammars, in the style of llama.cpp's grammars/ examples) and
// checks sample sentences.
func TestGrammarStyles(t *testing.T) {
	tests := []struct {
		name, src string
		match     []string
		reject    []string
	}{
		{"json with bodies on the next line", `# JSON, whitespace after tokens
root ::= val
val ::= obj | arr | str | num | ("true" | "false" | "null") ws

obj ::=
  "{" ws (
      str ":" ws val
      ("," ws str ":" ws val)*   # more members
  )? "}" ws

arr ::=
  "[" ws (
      val
      ("," ws val)*
  )? "]" ws

str ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
  )* "\"" ws

num ::= "-"? ([0-9] | [1-9] [0-9]{0,15}) ("." [0-9]+)? ([eE] [-+]? [0-9]+)? ws
ws ::= | " " | "\n" [ \t]{0,20}
`, []string{`{"a": [1, -2.5e3, "x\"y", {}], "b":null}`, "[\n  true,\n  false\n]"}, []string{`{"a" 1}`, `[1,]`}},
		{"alternatives ending lines with |", `root ::= stmt+
stmt ::=
    ( "let " name " = " num ";" ) |
    ( "print " name ";" ) |
    ( "if " name " {" stmt* "}" )
name ::= [a-z_] [a-z_0-9]*
num ::= [0-9]+
`, []string{"let x = 1;print x;", "if a {let b = 2;}"}, []string{"let x = ;", "print;"}},
		{"comments and blank lines inside groups", `root ::= (
    # a first move
    "1. " mv "\n"

    # then numbered moves
    ([1-9] [0-9]? ". " mv "\n")*
)
mv ::= [KQRBN]? [a-h] [1-8] [+#]?
`, []string{"1. e4\n2. Nf3+\n", "1. a1\n"}, []string{"1. e9\n", "2. e4\n"}},
		{"punctuation class", `root ::= [!"#$%&'()*+,-./:;<=>?@[\\\]^_{|}~]+`, []string{`!"#,-.[]\^`}, []string{"a", " "}},
		{"unicode ranges", `root ::= ([ぁ-ゟ] | [ァ-ヿ] | [一-鿿] | [、-〾])+`, []string{"ひらがなカタカナ漢字、"}, []string{"abc"}},
		{"class escapes", `root ::= "- " [^\r\n\x0b\x0c\x85\u2028\u2029]+ "\n"`, []string{"- item one\n"}, []string{"- a\u2028b\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.match {
				if !g.Match([]byte(s)) {
					t.Errorf("%q should match", s)
				}
			}
			for _, s := range tc.reject {
				if g.Match([]byte(s)) {
					t.Errorf("%q should not match", s)
				}
			}
		})
	}
}
