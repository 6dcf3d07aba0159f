package grammar

import (
	"strings"
	"testing"
)

func TestJSONSchemaKeywords(t *testing.T) {
	tests := []struct {
		name, schema string
		match        []string
		reject       []string
	}{
		{"empty schema is any value", `{}`, []string{`1`, `"x"`, `{"a":[true,null]}`, `[]`}, []string{``, `{a:1}`}},
		{"true schema", `true`, []string{`-2.5e3`}, []string{`tru`}},
		{"string", `{"type":"string"}`, []string{`""`, `"a\"b\\\u00e9\n"`, `"é"`}, []string{`"a`, `"a"b"`, "\"\x01\"", `"\x"`}},
		{"number", `{"type":"number"}`, []string{`0`, `-1.5`, `3e10`, `2.0E-3`}, []string{`01`, `.5`, `1.`, `+1`}},
		{"integer", `{"type":"integer"}`, []string{`0`, `-12`}, []string{`1.0`, `-0.5`, `00`}},
		{"boolean", `{"type":"boolean"}`, []string{`true`, `false`}, []string{`True`, `1`}},
		{"null", `{"type":"null"}`, []string{`null`}, []string{`nil`}},
		{"type list", `{"type":["integer","null"]}`, []string{`3`, `null`}, []string{`"3"`}},
		{"required and optional in order", `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},"required":["b"]}`,
			[]string{`{"b":"x"}`, `{"b":"x","a":1}`, `{"b":"x","c":true}`, `{"b":"x","a":1,"c":false}`},
			[]string{`{}`, `{"a":1}`, `{"a":1,"b":"x"}`, `{"b":"x","c":true,"a":1}`, `{"b":"x","d":1}`}},
		{"optional only", `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}}}`,
			[]string{`{}`, `{"a":1}`, `{"b":2}`, `{"a":1,"b":2}`}, []string{`{"b":2,"a":1}`, `{,}`}},
		{"additionalProperties true", `{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":true}`,
			[]string{`{"a":1,"zz":[1]}`, `{"q":null}`, `{}`, `{"ab":"x"}`, `{"":1}`}, []string{`{"a":"x"}`}},
		{"additionalProperties schema", `{"type":"object","additionalProperties":{"type":"integer"}}`,
			[]string{`{}`, `{"x":1,"y":2}`}, []string{`{"x":"1"}`}},
		{"additionalProperties false no properties", `{"type":"object","additionalProperties":false}`, []string{`{}`}, []string{`{"a":1}`}},
		{"items min max", `{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3}`,
			[]string{`[1]`, `[1,2,3]`}, []string{`[]`, `[1,2,3,4]`, `["a"]`}},
		{"items unbounded", `{"type":"array","items":{"type":"boolean"},"minItems":2}`, []string{`[true,false]`, `[true,true,true,true]`}, []string{`[true]`}},
		{"maxItems 0", `{"type":"array","maxItems":0}`, []string{`[]`}, []string{`[1]`}},
		{"prefixItems", `{"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}]}`, []string{`[1,"a"]`}, []string{`[1]`, `["a",1]`}},
		{"enum", `{"enum":["red",1,null,{"a":[true]}]}`, []string{`"red"`, `1`, `null`, `{"a":[true]}`}, []string{`"blue"`, `2`}},
		{"const", `{"const":"a<b"}`, []string{`"a<b"`}, []string{`"a"`}},
		{"anyOf", `{"anyOf":[{"type":"integer"},{"type":"string","maxLength":1}]}`, []string{`1`, `"a"`}, []string{`"ab"`, `true`}},
		{"oneOf", `{"oneOf":[{"const":1},{"const":2}]}`, []string{`1`, `2`}, []string{`3`}},
		{"allOf objects", `{"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},{"properties":{"b":{"type":"integer"}}}]}`,
			[]string{`{"a":1}`, `{"a":1,"b":2}`}, []string{`{"b":2}`}},
		{"nested objects", `{"type":"object","properties":{"o":{"type":"object","properties":{"p":{"type":"object","properties":{"q":{"type":"null"}},"required":["q"]}},"required":["p"]}},"required":["o"]}`,
			[]string{`{"o":{"p":{"q":null}}}`}, []string{`{"o":{"p":{}}}`}},
		{"$defs ref", `{"$defs":{"n":{"type":"integer"}},"type":"array","items":{"$ref":"#/$defs/n"}}`, []string{`[1,2]`}, []string{`["1"]`}},
		{"definitions ref, recursive", `{"definitions":{"t":{"type":"object","properties":{"c":{"type":"array","items":{"$ref":"#/definitions/t"}}},"required":["c"]}},"$ref":"#/definitions/t"}`,
			[]string{`{"c":[]}`, `{"c":[{"c":[]},{"c":[{"c":[]}]}]}`}, []string{`{"c":[{}]}`}},
		{"minLength maxLength", `{"type":"string","minLength":2,"maxLength":3}`, []string{`"ab"`, `"abc"`, `"éé"`, `"\n\t"`}, []string{`"a"`, `"abcd"`}},
		{"pattern", `{"type":"string","pattern":"^(ab|c)\\d{2}[x-z]?\\.$"}`, []string{`"ab12."`, `"c00z."`}, []string{`"ab1."`, `"d12."`, `"ab12"`}},
		{"format date", `{"type":"string","format":"date"}`, []string{`"2024-02-29"`}, []string{`"2024-13-01"`, `"24-01-01"`}},
		{"format time", `{"type":"string","format":"time"}`, []string{`"23:59:59Z"`, `"01:02:03.123+05:30"`}, []string{`"24:00:00Z"`}},
		{"format date-time", `{"type":"string","format":"date-time"}`, []string{`"2024-01-31T12:00:00Z"`}, []string{`"2024-01-31 12:00:00Z"`}},
		{"format uuid", `{"type":"string","format":"uuid"}`, []string{`"123e4567-e89b-12d3-a456-426614174000"`}, []string{`"123e4567e89b12d3a456426614174000"`}},
		{"integer bounds", `{"type":"integer","minimum":-12,"maximum":305}`,
			[]string{`-12`, `-1`, `0`, `9`, `10`, `99`, `100`, `299`, `305`}, []string{`-13`, `-0`, `306`, `400`, `1000`, `012`}},
		{"integer exclusive bounds", `{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10}`, []string{`1`, `9`}, []string{`0`, `10`}},
		{"integer minimum only", `{"type":"integer","minimum":42}`, []string{`42`, `99`, `100`, `123456`}, []string{`41`, `7`, `-42`}},
		{"format email", `{"type":"string","format":"email"}`, []string{`"a.b+c@mail.example.org"`}, []string{`"a@b"`, `"@x.com"`}},
		{"format ipv4", `{"format":"ipv4"}`, []string{`"192.168.0.255"`, `"0.0.0.0"`}, []string{`"256.1.1.1"`, `"1.2.3"`}},
		{"format hostname", `{"type":"string","format":"hostname"}`, []string{`"a-b.example.com"`, `"x"`}, []string{`"-a.com"`, `"a..b"`}},
		{"format uri", `{"type":"string","format":"uri"}`, []string{`"https://example.com/a?b=c"`, `"urn:isbn:123"`}, []string{`"no scheme"`, `"http://a b"`}},
		{"type next to anyOf narrows the branches", `{"type":"object","anyOf":[{"$ref":"#/definitions/foo"},{"properties":{"b":{"type":"number"}}},{"type":"string"}],"definitions":{"foo":{"properties":{"a":{"type":"number"}}}}}`,
			[]string{`{"a":1}`, `{"b":2}`, `{}`}, []string{`"x"`, `{"a":"1"}`}},
		{"type list keeps each type's keywords", `{"type":["array","null"],"items":{"type":"string"},"maxItems":1}`, []string{`null`, `["a"]`, `[]`}, []string{`["a","b"]`, `[1]`}},
		{"prefixItems as one schema is items", `{"type":"array","prefixItems":{"type":"string"}}`, []string{`[]`, `["a","b"]`}, []string{`[1]`}},
		{"allOf single ref to an enum", `{"allOf":[{"$ref":"#/definitions/foo"}],"definitions":{"foo":{"type":"string","enum":["a","b"]}}}`, []string{`"a"`, `"b"`}, []string{`"c"`}},
		{"allOf intersecting enums", `{"allOf":[{"$ref":"#/definitions/foo"},{"$ref":"#/definitions/bar"}],"definitions":{"foo":{"type":"string","enum":["a","b","c"]},"bar":{"type":"string","enum":["b","c","d"]}}}`,
			[]string{`"b"`, `"c"`}, []string{`"a"`, `"d"`}},
		{"allOf with anyOf of optional objects", `{"allOf":[{"$ref":"#/definitions/foo"},{"anyOf":[{"$ref":"#/definitions/baz"},{"properties":{"c":{"type":"number"}}}]}],"definitions":{"foo":{"properties":{"a":{"type":"number"}},"required":["a"]},"baz":{"properties":{"d":{"type":"number"}}}},"type":"object"}`,
			[]string{`{"a":1}`, `{"a":1,"d":2,"c":3}`}, []string{`{}`, `{"d":2}`}},
		{"property names needing escapes", `{"type":"object","properties":{"a\"b":{"const":1},"":{"const":2}},"required":["a\"b",""]}`, []string{`{"a\"b":1,"":2}`}, []string{`{"a\"b":1}`}},
		{"const with escapes", `{"const":" \r \n \" \\ "}`, []string{`" \r \n \" \\ "`}, []string{`" "`}},
		{"number minimum 0", `{"type":"number","minimum":0}`, []string{`0`, `0.5`, `12`, `3.25`}, []string{`-0.5`, `-1`, `1e3`}},
		{"number range", `{"type":"number","minimum":-2,"maximum":10}`,
			[]string{`-2`, `-2.0`, `-1.99`, `-0.5`, `0`, `9.999`, `10`, `10.00`}, []string{`-2.01`, `-3`, `10.01`, `11`, `-0`}},
		{"number exclusive range", `{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}`,
			[]string{`0.5`, `0.001`, `0.10`}, []string{`0`, `0.0`, `1`, `1.0`, `-0.5`}},
		{"number negative range", `{"type":"number","minimum":-5,"exclusiveMaximum":-2}`,
			[]string{`-5`, `-2.5`, `-2.01`, `-4.999`}, []string{`-2`, `-2.0`, `-5.1`, `0`}},
		{"number maximum only", `{"type":"number","maximum":1}`, []string{`1`, `0.5`, `-100.5`}, []string{`1.5`, `2`}},
		{"bounds without type are a number", `{"minimum":1,"maximum":2}`, []string{`1`, `1.5`, `2`}, []string{`0.9`, `"1"`}},
		{"annotations allowed", `{"title":"T","description":"d","$schema":"https://json-schema.org/draft/2020-12/schema","type":"boolean","default":true,"examples":[true]}`, []string{`true`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := FromJSONSchema([]byte(tc.schema), SchemaOptions{})
			if err != nil {
				t.Fatal(err)
			}
			g, err := Parse(src)
			if err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
			for _, s := range tc.match {
				if !g.Match([]byte(s)) {
					t.Errorf("%s should match\n%s", s, src)
				}
			}
			for _, s := range tc.reject {
				if g.Match([]byte(s)) {
					t.Errorf("%s should not match\n%s", s, src)
				}
			}
		})
	}
}

func TestJSONSchemaWhitespace(t *testing.T) {
	schema := `{"type":"object","properties":{"a":{"type":"array","items":{"type":"integer"}}},"required":["a"]}`
	compact, err := CompileJSONSchema([]byte(schema), SchemaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spaced, err := CompileJSONSchema([]byte(schema), SchemaOptions{Whitespace: Spaced})
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string][2]bool{
		`{"a":[1,2]}`:          {true, true},
		`{ "a": [ 1, 2 ] }`:    {false, true},
		`{"a":  [1]}`:          {false, false},
		"{\"a\":\n[1]}":        {false, false},
		`{ "a" : [ 1 , 2 ] } `: {false, true},
	} {
		if got := [2]bool{compact.Match([]byte(s)), spaced.Match([]byte(s))}; got != want {
			t.Errorf("%q: compact, spaced = %v, want %v", s, got, want)
		}
	}
}

func TestJSONSchemaErrors(t *testing.T) {
	tests := []struct{ name, schema, msg string }{
		{"not JSON", `{"type":`, "JSON Schema"},
		{"unknown keyword", `{"type":"object","properties":{"a":{"type":"string","contentEncoding":"base64"}}}`, "#/properties/a: unsupported keyword(s) contentEncoding"},
		{"several unknown", `{"type":"array","uniqueItems":true,"contains":{}}`, "uniqueItems, contains"},
		{"not", `{"not":{"type":"string"}}`, "unsupported keyword(s) not"},
		{"number fractional bound", `{"type":"number","minimum":0.5}`, "minimum 0.5 on type number is not supported"},
		{"number empty range", `{"type":"number","exclusiveMinimum":3,"maximum":3}`, "no number lies"},
		{"unknown format", `{"type":"string","format":"ipv6"}`, `format "ipv6" is not supported`},
		{"properties next to anyOf", `{"anyOf":[{"type":"object"}],"properties":{"a":{}}}`, "keyword properties next to anyOf"},
		{"anyOf branches all of other types", `{"type":"string","anyOf":[{"type":"integer"},{"type":"null"}]}`, "no anyOf branch allows the type"},
		{"allOf disjoint enums", `{"allOf":[{"enum":["a"]},{"enum":["b"]}]}`, "no value in common"},
		{"allOf of strings", `{"allOf":[{"type":"string"},{"minLength":2}]}`, "allOf can only merge"},
		{"remote ref", `{"$ref":"https://example.com/s.json"}`, "only local references"},
		{"dangling ref", `{"$ref":"#/$defs/missing"}`, "points at nothing"},
		{"unanchored pattern", `{"type":"string","pattern":"abc"}`, "must be anchored"},
		{"bad type", `{"type":"decimal"}`, `unknown type "decimal"`},
		{"false schema", `false`, "allows no value"},
		{"schema not an object", `[1]`, "must be an object or a boolean"},
		{"minItems negative", `{"type":"array","minItems":-1}`, "non-negative integer"},
		{"max below min", `{"type":"string","minLength":3,"maxLength":2}`, "below minLength"},
		{"empty range", `{"type":"integer","minimum":5,"maximum":4}`, "no integer"},
		{"required missing with no extras", `{"type":"object","properties":{},"required":["x"],"additionalProperties":false}`, `required property "x"`},
		{"keyword of another type", `{"type":"boolean","maxLength":3}`, "maxLength does not apply to type boolean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromJSONSchema([]byte(tc.schema), SchemaOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want an error containing %q", err, tc.msg)
			}
		})
	}
}
