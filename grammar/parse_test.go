package grammar

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, src string
		match     []string
		reject    []string
	}{
		{name: "literal", src: `root ::= "abc"`, match: []string{"abc"}, reject: []string{"", "ab", "abcd"}},
		{name: "alternation and grouping", src: `root ::= ("a" | "b") "c" | "d"`, match: []string{"ac", "bc", "d"}, reject: []string{"c", "dc"}},
		{name: "escapes", src: `root ::= "\n\t\r\\\"\x41\u00e9\U0001F600"`, match: []string{"\n\t\r\\\"Aé😀"}},
		{name: "class ranges", src: `root ::= [a-cx0-9]`, match: []string{"a", "c", "x", "5"}, reject: []string{"d", "A"}},
		{name: "negated class", src: `root ::= [^a-z\n]`, match: []string{"A", "é", " "}, reject: []string{"q", "\n"}},
		{name: "class escapes", src: `root ::= [\]\[\-\\]+`, match: []string{"]", "[-\\"}, reject: []string{"a"}},
		{name: "dot", src: `root ::= . .`, match: []string{"ab", "é\n"}, reject: []string{"a", "abc"}},
		{name: "star plus optional", src: `root ::= "a"* "b"+ "c"?`, match: []string{"b", "aabbb", "bc"}, reject: []string{"", "a", "cc"}},
		{name: "counted", src: `root ::= "a"{2} "b"{1,3} "c"{2,} "d"{,1}`, match: []string{"aabcc", "aabbbccccd"}, reject: []string{"abcc", "aabbbbcc", "aabc", "aabccdd"}},
		{name: "literal repeated as a whole", src: `root ::= "ab"{2}`, match: []string{"abab"}, reject: []string{"abb"}},
		{name: "comments and blank lines", src: "# a grammar\n\nroot ::= x # trailing\n\n# between\nx ::= \"y\"\n", match: []string{"y"}},
		{name: "multi-line alternatives", src: "root ::= \"a\"\n  | \"b\"\n  | \"c\"\nother ::= \"z\"", match: []string{"a", "b", "c"}, reject: []string{"z"}},
		{name: "multi-line group", src: "root ::= (\n  \"a\"\n  \"b\"\n)", match: []string{"ab"}},
		{name: "empty alternative", src: `root ::= "a" | `, match: []string{"a", ""}},
		{name: "recursion", src: "root ::= \"(\" root \")\" | \"\"", match: []string{"", "()", "((()))"}, reject: []string{"(()"}},
		{name: "names with dashes, digits, underscores", src: "root ::= my-rule_2\nmy-rule_2 ::= \"k\"", match: []string{"k"}},
		{name: "CRLF", src: "root ::= a\r\na ::= \"x\"\r\n", match: []string{"x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.match {
				if !g.Match([]byte(s)) {
					t.Errorf("%q should match\n%s", s, g)
				}
			}
			for _, s := range tc.reject {
				if g.Match([]byte(s)) {
					t.Errorf("%q should not match\n%s", s, g)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"empty", "  \n# only a comment\n", 3, 1, "empty grammar"},
		{"no root", `a ::= "x"`, 1, 1, "no rule named root"},
		{"undefined rule", "root ::= a b\na ::= \"x\"", 1, 12, "undefined rule b"},
		{"missing ::=", "root = \"x\"", 1, 6, "expecting ::="},
		{"unterminated literal", "root ::= \"abc", 1, 10, "unterminated string literal"},
		{"unterminated class", "root ::= [a-z", 1, 10, "unterminated character class"},
		{"unclosed group", "root ::= (\"a\" | \"b\"", 1, 20, "expecting )"},
		{"bad escape", `root ::= "\q"`, 1, 11, `unknown escape "\\q"`},
		{"short hex", `root ::= "\x4"`, 1, 11, "hex digits"},
		{"repeat nothing", `root ::= * "a"`, 1, 10, "nothing before it"},
		{"reversed repeat", `root ::= "a"{3,1}`, 1, 13, "maximum below its minimum"},
		{"huge repeat", `root ::= "a"{1000000}`, 1, 14, "above the limit"},
		{"reversed range", `root ::= [z-a]`, 1, 13, "reversed"},
		{"duplicate", "root ::= \"a\"\nroot ::= \"b\"", 2, 1, "defined twice (first at line 1, column 1)"},
		{"stray character", "root ::= \"a\" @", 1, 14, "unexpected '@'"},
		{"unclosed brace", `root ::= "a"{2`, 1, 15, "expecting }"},
		{"token reference", "root ::= <[1000]> \"x\"", 1, 10, "token references"},
		{"negated token reference", "root ::= !<think>", 1, 10, "token references"},
		{"invalid utf-8", "root ::= \"\xff\"", 1, 11, "invalid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.src)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Line != tc.line || se.Col != tc.col || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("got %v, want line %d, column %d: …%s…", err, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestLeftRecursion(t *testing.T) {
	for _, src := range []string{
		"root ::= root \"a\" | \"b\"",
		"root ::= a\na ::= b \"x\"\nb ::= \"\" | a",
		`root ::= ("a"?)*`, // a nullable body under a star
	} {
		if _, err := Parse(src); err == nil || !strings.Contains(err.Error(), "left recursion") {
			t.Errorf("%q: got %v, want a left-recursion error", src, err)
		}
	}
}

func TestMatchPrefix(t *testing.T) {
	g := mustParse(t, `root ::= "ab" [0-9]+`)
	for s, want := range map[string]bool{"": true, "a": true, "ab": true, "ab1": true, "ac": false, "ab1x": false} {
		if got := g.MatchPrefix([]byte(s)); got != want {
			t.Errorf("MatchPrefix(%q) = %v", s, got)
		}
	}
}

// TestStringRoundTrip checks that the compiled grammar printed by String
// parses back to a grammar with the same language on some samples.
func TestStringRoundTrip(t *testing.T) {
	g := mustParse(t, `root ::= ("x" [^"\\a-c] | "\n")+ "é"?`)
	g2 := mustParse(t, g.String())
	for _, s := range []string{"xd", "x\"", "\n\nxzé", "xa", ""} {
		if g.Match([]byte(s)) != g2.Match([]byte(s)) {
			t.Errorf("%q: grammars disagree\n%s", s, g)
		}
	}
}
