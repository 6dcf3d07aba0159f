package grammar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Whitespace selects where generated JSON may hold spaces.
type Whitespace int

const (
	// Compact allows no whitespace at all: the output looks like Go's
	// json.Marshal, the shortest text and the fewest tokens.
	Compact Whitespace = iota
	// Spaced allows one optional space after each structural token
	// ("{", "[", ":", ",") and each value.
	Spaced
)

// SchemaOptions configures [FromJSONSchema]. The zero value is compact
// output.
type SchemaOptions struct {
	// Whitespace is the whitespace policy (default Compact).
	Whitespace Whitespace
}

// CompileJSONSchema converts a JSON Schema to GBNF with [FromJSONSchema] and
// parses it.
func CompileJSONSchema(schema []byte, opts SchemaOptions) (*Grammar, error) {
	src, err := FromJSONSchema(schema, opts)
	if err != nil {
		return nil, err
	}
	g, err := Parse(src)
	if err != nil {
		return nil, fmt.Errorf("grammar: JSON Schema: %w", err)
	}
	return g, nil
}

// annotations are schema keywords that do not constrain values.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"examples": true, "default": true, "deprecated": true, "readOnly": true, "writeOnly": true,
	"$defs": true, "definitions": true, "$anchor": true, "contentMediaType": true,
}

// supported are the keywords FromJSONSchema enforces.
var supported = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "prefixItems": true, "minItems": true, "maxItems": true,
	"enum": true, "const": true, "anyOf": true, "oneOf": true, "allOf": true, "$ref": true,
	"minLength": true, "maxLength": true, "pattern": true, "format": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
}

// FromJSONSchema converts a JSON Schema (draft 2020-12 and earlier drafts'
// common subset) to GBNF whose root matches exactly the JSON texts that the
// schema accepts, as llama.cpp's json-schema-to-grammar does:
//
//   - type: object, array, string, number, integer, boolean, null, or a list
//     of them; a schema with no type (or true) is any JSON value.
//   - properties, required, additionalProperties (false or absent: no other
//     keys; true or a schema: other keys after the listed ones). Required
//     properties come first in the order of properties, then any subset of
//     the optional ones in that order.
//   - items, prefixItems, minItems, maxItems; enum; const; anyOf and oneOf
//     (as alternatives: oneOf's exclusivity is not enforced); allOf of
//     object schemas (properties and required merged; an anyOf of objects
//     that require nothing adds optional properties) or of enums/consts
//     (intersected); $ref to #/$defs/…,
//     #/definitions/… or any other local JSON pointer (recursion allowed).
//   - minLength, maxLength; pattern (an anchored ^…$ regular expression, see
//     below); format date, time, date-time, uuid, email, hostname, ipv4 and
//     uri (simplified: common forms, not every form the RFCs allow).
//   - type next to anyOf/oneOf narrows each branch to that type (branches
//     of other types are dropped); a type list splits the schema per type,
//     each keeping the keywords of its type.
//   - minimum, maximum, exclusiveMinimum, exclusiveMaximum on integers, and on
//     numbers when the bounds are whole (a bounded number has no exponent).
//
// Numbers are at most 16 digits before and after the point. Any other
// keyword (and a format not listed) is an error that names it and where it
// is, never ignored; annotations (title, description, $comment, examples,
// default…) are allowed.
//
// Patterns take literal characters, ., classes […] and [^…] with ranges,
// \d \w \s \D \W \S and escaped punctuation, groups (…) and (?:…),
// alternation and the quantifiers * + ? {m} {m,} {m,n}. The characters a
// pattern generates are written as they are in the JSON text, so a pattern
// cannot produce ", \ or control characters (they would need escapes).
func FromJSONSchema(schema []byte, opts SchemaOptions) (string, error) {
	root, err := parseJSON(schema)
	if err != nil {
		return "", fmt.Errorf("grammar: JSON Schema: %w", err)
	}
	c := &conv{root: root, opts: opts, rules: map[string]string{}, refs: map[string]string{}}
	body, err := c.body(root, "root", "#")
	if err != nil {
		return "", err
	}
	c.set("root", body)
	var b strings.Builder
	for _, name := range c.order {
		fmt.Fprintf(&b, "%s ::= %s\n", name, c.rules[name])
	}
	return b.String(), nil
}

// conv builds the rules of one schema.
type conv struct {
	root  *jval
	opts  SchemaOptions
	rules map[string]string
	order []string
	refs  map[string]string // $ref → rule name
	depth int
}

// unique returns name, or name-N when name is taken.
func (c *conv) unique(name string) string {
	if _, ok := c.rules[name]; !ok {
		return name
	}
	for i := 1; ; i++ {
		n := name + "-" + strconv.Itoa(i)
		if _, ok := c.rules[n]; !ok {
			return n
		}
	}
}

// set defines rule name (reserved or new).
func (c *conv) set(name, body string) {
	if _, ok := c.rules[name]; !ok {
		c.order = append(c.order, name)
	}
	c.rules[name] = body
}

// add defines a rule with body under name (or name-N), reusing a rule of
// that name with the same body.
func (c *conv) add(name, body string) string {
	if old, ok := c.rules[name]; ok && old == body {
		return name
	}
	name = c.unique(name)
	c.set(name, body)
	return name
}

// reserve claims a rule name before its body is known (for $ref cycles).
func (c *conv) reserve(name string) string {
	name = c.unique(name)
	c.set(name, `""`)
	return name
}

// ruleName turns a property or definition name into rule-name characters.
func ruleName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && isWordChar(byte(r)) && r != '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// literal is s as a GBNF string literal.
func literal(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		b.WriteString(escapeRune(r, '"'))
	}
	b.WriteByte('"')
	return b.String()
}

// Primitive rules, each with the rules it uses.
var primitives = map[string]struct {
	body string
	deps []string
}{
	"boolean":        {`("true" | "false") space`, []string{"space"}},
	"null":           {`"null" space`, []string{"space"}},
	"char":           {`[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})`, nil},
	"string":         {`"\"" char* "\"" space`, []string{"char", "space"}},
	"integral-part":  {`"0" | [1-9] [0-9]{0,15}`, nil},
	"decimal-part":   {`[0-9]{1,16}`, nil},
	"integer":        {`"-"? integral-part space`, []string{"integral-part", "space"}},
	"number":         {`"-"? integral-part ("." decimal-part)? ([eE] [-+]? integral-part)? space`, []string{"integral-part", "decimal-part", "space"}},
	"value":          {`object | array | string | number | boolean | null`, []string{"object", "array", "string", "number", "boolean", "null"}},
	"object":         {`"{" space (string ":" space value ("," space string ":" space value)*)? "}" space`, []string{"string", "value", "space"}},
	"array":          {`"[" space (value ("," space value)*)? "]" space`, []string{"value", "space"}},
	"date":           {`[0-9]{4} "-" ("0" [1-9] | "1" [0-2]) "-" ("0" [1-9] | [12] [0-9] | "3" [01])`, nil},
	"time":           {`([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{3})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9])`, nil},
	"date-time":      {`date "T" time`, []string{"date", "time"}},
	"email":          {`[a-zA-Z0-9._%+-]+ "@" [a-zA-Z0-9-]+ ("." [a-zA-Z0-9-]+)* "." [a-zA-Z]{2,16}`, nil},
	"hostname":       {`hostname-label ("." hostname-label)*`, []string{"hostname-label"}},
	"hostname-label": {`[a-zA-Z0-9] ([a-zA-Z0-9-]{0,61} [a-zA-Z0-9])?`, nil},
	"ipv4":           {`ipv4-octet "." ipv4-octet "." ipv4-octet "." ipv4-octet`, []string{"ipv4-octet"}},
	"ipv4-octet":     {`"25" [0-5] | "2" [0-4] [0-9] | "1" [0-9] [0-9] | [1-9] [0-9] | [0-9]`, nil},
	"uri":            {`[a-zA-Z] [a-zA-Z0-9+.-]* ":" [^"\\\x00-\x20\x7F]+`, nil},
	"uuid":           {`[0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}`, nil},
}

// prim defines the primitive rule name (and what it uses) and returns name.
func (c *conv) prim(name string) string {
	if _, ok := c.rules[name]; ok {
		return name
	}
	if name == "space" {
		if c.opts.Whitespace == Spaced {
			c.set("space", `" "?`)
		} else {
			c.set("space", `""`)
		}
		return name
	}
	p := primitives[name]
	c.set(name, p.body)
	for _, d := range p.deps {
		c.prim(d)
	}
	return name
}

func schemaErr(path, format string, args ...any) error {
	return fmt.Errorf("grammar: JSON Schema at %s: %s", path, fmt.Sprintf(format, args...))
}

// visit defines a rule for schema s named after name and returns its name.
func (c *conv) visit(s *jval, name, path string) (string, error) {
	body, err := c.body(s, name, path)
	if err != nil {
		return "", err
	}
	if isRuleName(body) {
		return body, nil
	}
	return c.add(name, body), nil
}

func isRuleName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isWordChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// body returns the GBNF expression for schema s.
func (c *conv) body(s *jval, name, path string) (string, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 200 {
		return "", schemaErr(path, "schema nested too deeply")
	}
	switch s.kind {
	case 'b':
		if s.b {
			return c.prim("value"), nil
		}
		return "", schemaErr(path, "the schema false allows no value")
	case 'o':
	default:
		return "", schemaErr(path, "a schema must be an object or a boolean, not a %s", s.kindName())
	}
	var bad []string
	for _, kv := range s.obj {
		if !supported[kv.k] && !annotations[kv.k] {
			bad = append(bad, kv.k)
		}
	}
	if len(bad) > 0 {
		return "", schemaErr(path, "unsupported keyword(s) %s: the grammar could not enforce them", strings.Join(bad, ", "))
	}
	if ref := s.get("$ref"); ref != nil {
		if len(s.obj) > 1 {
			for _, kv := range s.obj {
				if kv.k != "$ref" && !annotations[kv.k] {
					return "", schemaErr(path, "keyword %s next to $ref is not supported", kv.k)
				}
			}
		}
		return c.ref(ref, path)
	}
	for _, kw := range []string{"anyOf", "oneOf"} {
		if alts := s.get(kw); alts != nil {
			if alts.kind != 'a' || len(alts.arr) == 0 {
				return "", schemaErr(path+"/"+kw, "want a non-empty array of schemas")
			}
			var typ *jval
			for _, kv := range s.obj {
				switch {
				case kv.k == "type":
					typ = kv.v
				case kv.k != kw && !annotations[kv.k]:
					return "", schemaErr(path, "keyword %s next to %s is not supported (only type is)", kv.k, kw)
				}
			}
			var parts []string
			for i, sub := range alts.arr {
				bpath := fmt.Sprintf("%s/%s/%d", path, kw, i)
				if typ != nil {
					var ok bool
					var err error
					if sub, ok, err = c.narrow(sub, typ, bpath); err != nil {
						return "", err
					} else if !ok {
						continue // this branch allows none of the types
					}
				}
				r, err := c.visit(sub, name+"-"+strconv.Itoa(i), bpath)
				if err != nil {
					return "", err
				}
				parts = append(parts, r)
			}
			if len(parts) == 0 {
				return "", schemaErr(path, "no %s branch allows the type next to it", kw)
			}
			return strings.Join(parts, " | "), nil
		}
	}
	if all := s.get("allOf"); all != nil {
		merged, err := c.mergeAllOf(s, all, path)
		if err != nil {
			return "", err
		}
		return c.body(merged, name, path)
	}
	if v := s.get("const"); v != nil {
		var b strings.Builder
		v.compact(&b)
		return literal(b.String()) + " " + c.prim("space"), nil
	}
	if v := s.get("enum"); v != nil {
		if v.kind != 'a' || len(v.arr) == 0 {
			return "", schemaErr(path+"/enum", "want a non-empty array")
		}
		var parts []string
		for _, x := range v.arr {
			var b strings.Builder
			x.compact(&b)
			parts = append(parts, literal(b.String()))
		}
		return "(" + strings.Join(parts, " | ") + ") " + c.prim("space"), nil
	}
	typ := s.get("type")
	if typ != nil && typ.kind == 'a' {
		var parts []string
		for i, t := range typ.arr {
			if t.kind != 's' {
				return "", schemaErr(fmt.Sprintf("%s/type/%d", path, i), "want a type name")
			}
			one := &jval{kind: 'o'}
			for _, kv := range s.obj {
				switch {
				case kv.k == "type":
					one.obj = append(one.obj, jkv{"type", t})
				case annotations[kv.k] || slices.Contains(typeKeys[t.str], kv.k) || !isTypeKey(kv.k):
					one.obj = append(one.obj, kv)
				}
			}
			r, err := c.visit(one, name+"-"+ruleName(t.str), path)
			if err != nil {
				return "", err
			}
			parts = append(parts, r)
		}
		if len(parts) == 0 {
			return "", schemaErr(path+"/type", "empty list of types")
		}
		return strings.Join(parts, " | "), nil
	}
	t := ""
	if typ != nil {
		if typ.kind != 's' {
			return "", schemaErr(path+"/type", "want a string or an array of strings")
		}
		t = typ.str
	}
	if t == "" {
		switch {
		case s.get("properties") != nil || s.get("additionalProperties") != nil || s.get("required") != nil:
			t = "object"
		case s.get("items") != nil || s.get("prefixItems") != nil || s.get("minItems") != nil || s.get("maxItems") != nil:
			t = "array"
		case s.get("minLength") != nil || s.get("maxLength") != nil || s.get("pattern") != nil || s.get("format") != nil:
			t = "string"
		case s.get("minimum") != nil || s.get("maximum") != nil || s.get("exclusiveMinimum") != nil || s.get("exclusiveMaximum") != nil:
			t = "number"
		default:
			return c.prim("value"), nil
		}
	}
	switch t {
	case "object":
		return c.object(s, name, path)
	case "array":
		return c.array(s, name, path)
	case "string":
		return c.str(s, path)
	case "integer":
		return c.integer(s, path)
	case "number":
		return c.number(s, path)
	case "boolean":
		if err := onlyKeys(s, path, "boolean"); err != nil {
			return "", err
		}
		return c.prim("boolean"), nil
	case "null":
		if err := onlyKeys(s, path, "null"); err != nil {
			return "", err
		}
		return c.prim("null"), nil
	}
	return "", schemaErr(path+"/type", "unknown type %q", t)
}

// typeKeys lists, per type, the keywords that constrain it.
var typeKeys = map[string][]string{
	"object":  {"properties", "required", "additionalProperties"},
	"array":   {"items", "prefixItems", "minItems", "maxItems"},
	"string":  {"minLength", "maxLength", "pattern", "format"},
	"integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
	"number":  {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
}

// onlyKeys rejects constraints that type t cannot carry (number ranges, for
// one) instead of ignoring them.
func onlyKeys(s *jval, path, t string) error {
	for _, kv := range s.obj {
		if kv.k == "type" || annotations[kv.k] || slices.Contains(typeKeys[t], kv.k) {
			continue
		}
		for other, keys := range typeKeys {
			if other != t && slices.Contains(keys, kv.k) {
				return schemaErr(path, "%s does not apply to type %s", kv.k, t)
			}
		}
	}
	return nil
}

// ref resolves a local $ref and returns the name of its rule.
func (c *conv) ref(ref *jval, path string) (string, error) {
	if ref.kind != 's' {
		return "", schemaErr(path+"/$ref", "want a string")
	}
	if name, ok := c.refs[ref.str]; ok {
		return name, nil
	}
	p, ok := strings.CutPrefix(ref.str, "#")
	if !ok {
		return "", schemaErr(path+"/$ref", "only local references (#/$defs/…) are supported, not %q", ref.str)
	}
	target := c.root
	if p != "" {
		if !strings.HasPrefix(p, "/") {
			return "", schemaErr(path+"/$ref", "reference %q is not a JSON pointer", ref.str)
		}
		for _, tok := range strings.Split(p[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch target.kind {
			case 'o':
				target = target.get(tok)
			case 'a':
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(target.arr) {
					target = nil
				} else {
					target = target.arr[i]
				}
			default:
				target = nil
			}
			if target == nil {
				return "", schemaErr(path+"/$ref", "reference %q points at nothing", ref.str)
			}
		}
	}
	last := ref.str[strings.LastIndex(ref.str, "/")+1:]
	name := c.reserve("ref-" + ruleName(last))
	c.refs[ref.str] = name
	body, err := c.body(target, name, ref.str)
	if err != nil {
		return "", err
	}
	c.set(name, body)
	return name, nil
}

// notKeys defines a rule for a JSON string that is none of keys (written
// without escapes), so that additional properties cannot repeat a listed
// one: a trie of the keys, where each node may end (unless a key ends
// there), go on along the trie, or leave it with any other character.
func (c *conv) notKeys(name string, keys map[string]bool) string {
	type node struct {
		kids map[rune]*node
		end  bool
	}
	root := &node{kids: map[rune]*node{}}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		n := root
		for _, r := range k {
			if n.kids[r] == nil {
				n.kids[r] = &node{kids: map[rune]*node{}}
			}
			n = n.kids[r]
		}
		n.end = true
	}
	char := c.prim("char")
	space := c.prim("space")
	var rule func(n *node, name string) string
	rule = func(n *node, name string) string {
		var alts []string
		if !n.end {
			alts = append(alts, `"\""`)
		}
		excl := []rng{{'"', '"'}, {'\\', '\\'}, {0, 0x1F}, {0x7F, 0x7F}}
		runes := make([]rune, 0, len(n.kids))
		for r := range n.kids {
			runes = append(runes, r)
		}
		slices.Sort(runes)
		for i, r := range runes {
			excl = append(excl, rng{r, r})
			alts = append(alts, charLiteral(r)+" "+rule(n.kids[r], name+"-"+strconv.Itoa(i)))
		}
		other := newCharSet(excl, true)
		alts = append(alts, "("+other.gbnf()+` | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})) `+char+`* "\""`)
		return c.add(name, strings.Join(alts, " | "))
	}
	return "(" + `"\"" ` + rule(root, name) + " " + space + ")"
}
