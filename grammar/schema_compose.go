package grammar

import (
	"fmt"
	"slices"
	"strings"
)

// isTypeKey reports whether k constrains one type only (minLength, items…).
func isTypeKey(k string) bool {
	for _, keys := range typeKeys {
		if slices.Contains(keys, k) {
			return true
		}
	}
	return false
}

// resolve follows local $refs (a chain of at most 32) to the schema they
// name.
func (c *conv) resolve(s *jval, path string) (*jval, error) {
	for range 32 {
		if s.kind != 'o' {
			return s, nil
		}
		r := s.get("$ref")
		if r == nil {
			return s, nil
		}
		if r.kind != 's' || !strings.HasPrefix(r.str, "#") {
			return nil, schemaErr(path+"/$ref", "only local references (#/$defs/…) are supported")
		}
		t := c.root
		if p := r.str[1:]; p != "" {
			for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
				tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
				if t.kind == 'a' {
					var i int
					if _, err := fmt.Sscan(tok, &i); err != nil || i < 0 || i >= len(t.arr) {
						return nil, schemaErr(path+"/$ref", "reference %q points at nothing", r.str)
					}
					t = t.arr[i]
					continue
				}
				if t = t.get(tok); t == nil {
					return nil, schemaErr(path+"/$ref", "reference %q points at nothing", r.str)
				}
			}
		}
		s = t
	}
	return nil, schemaErr(path, "$ref chain too long or circular")
}

// typeSet reads a type keyword (a name or a list of names).
func typeSet(t *jval, path string) ([]string, error) {
	switch t.kind {
	case 's':
		return []string{t.str}, nil
	case 'a':
		var out []string
		for _, x := range t.arr {
			if x.kind != 's' {
				return nil, schemaErr(path+"/type", "want a type name")
			}
			out = append(out, x.str)
		}
		return out, nil
	}
	return nil, schemaErr(path+"/type", "want a string or an array of strings")
}

// intersectTypes is the set of types in both a and b (an integer is a
// number).
func intersectTypes(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			switch {
			case x == y:
				out = append(out, x)
			case x == "number" && y == "integer", x == "integer" && y == "number":
				out = append(out, "integer")
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// narrow restricts branch sub of an anyOf/oneOf to the types typ next to
// it; ok is false when the branch allows none of them.
func (c *conv) narrow(sub, typ *jval, path string) (*jval, bool, error) {
	want, err := typeSet(typ, path)
	if err != nil {
		return nil, false, err
	}
	t, err := c.resolve(sub, path)
	if err != nil {
		return nil, false, err
	}
	if t.kind == 'b' {
		if !t.b {
			return nil, false, nil
		}
		return &jval{kind: 'o', obj: []jkv{{"type", typ}}}, true, nil
	}
	if t.kind != 'o' {
		return sub, true, nil // body reports the error
	}
	have := want
	if tt := t.get("type"); tt != nil {
		b, err := typeSet(tt, path)
		if err != nil {
			return nil, false, err
		}
		have = intersectTypes(want, b)
		if len(have) == 0 {
			return nil, false, nil
		}
		if slices.Equal(have, b) {
			return sub, true, nil // unchanged: keep the $ref (and its rule)
		}
	}
	out := &jval{kind: 'o'}
	for _, kv := range t.obj {
		if kv.k != "type" {
			out.obj = append(out.obj, kv)
		}
	}
	tv := &jval{kind: 'a'}
	for _, h := range have {
		tv.arr = append(tv.arr, &jval{kind: 's', str: h})
	}
	if len(have) == 1 {
		tv = tv.arr[0]
	}
	out.obj = append(out.obj, jkv{"type", tv})
	return out, true, nil
}

// mergeAllOf folds allOf (and the keywords beside it) into one schema: a
// single part is used as it is; enum/const parts intersect; object parts
// merge their properties and required lists, and an anyOf of objects that
// require nothing adds its branches' properties as optional ones (any object
// satisfies such an anyOf, so this only widens what may be generated within
// the schema). Anything else is an error.
func (c *conv) mergeAllOf(s, all *jval, path string) (*jval, error) {
	if all.kind != 'a' || len(all.arr) == 0 {
		return nil, schemaErr(path+"/allOf", "want a non-empty array of schemas")
	}
	var parts []*jval
	var paths []string
	rest := &jval{kind: 'o'}
	for _, kv := range s.obj {
		if kv.k != "allOf" && !annotations[kv.k] {
			rest.obj = append(rest.obj, kv)
		}
	}
	for i, p := range all.arr {
		ppath := fmt.Sprintf("%s/allOf/%d", path, i)
		t, err := c.resolve(p, ppath)
		if err != nil {
			return nil, err
		}
		if t.kind == 'b' && t.b {
			continue
		}
		if t.kind != 'o' {
			return nil, schemaErr(ppath, "allOf takes object schemas")
		}
		parts = append(parts, t)
		paths = append(paths, ppath)
	}
	if len(rest.obj) > 0 {
		parts = append(parts, rest)
		paths = append(paths, path)
	}
	if len(parts) == 0 {
		return &jval{kind: 'b', b: true}, nil
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	// enum / const parts: intersect the allowed values.
	var values []string
	haveValues := false
	for _, p := range parts {
		var vs []string
		if e := p.get("enum"); e != nil && e.kind == 'a' {
			for _, x := range e.arr {
				var b strings.Builder
				x.compact(&b)
				vs = append(vs, b.String())
			}
		} else if k := p.get("const"); k != nil {
			var b strings.Builder
			k.compact(&b)
			vs = []string{b.String()}
		} else {
			continue
		}
		if !haveValues {
			values, haveValues = vs, true
			continue
		}
		values = slices.DeleteFunc(values, func(v string) bool { return !slices.Contains(vs, v) })
	}
	if haveValues {
		out := &jval{kind: 'a'}
		for _, v := range values {
			x, err := parseJSON([]byte(v))
			if err != nil {
				return nil, err
			}
			out.arr = append(out.arr, x)
		}
		if len(out.arr) == 0 {
			return nil, schemaErr(path+"/allOf", "the enum/const parts have no value in common")
		}
		for i, p := range parts {
			for _, kv := range p.obj {
				if kv.k != "enum" && kv.k != "const" && kv.k != "type" && !annotations[kv.k] {
					return nil, schemaErr(paths[i], "allOf mixing enum/const with %s is not supported", kv.k)
				}
			}
		}
		return &jval{kind: 'o', obj: []jkv{{"enum", out}}}, nil
	}
	props := &jval{kind: 'o'}
	req := &jval{kind: 'a'}
	addProps := func(p *jval) {
		for _, kv := range p.obj {
			if props.get(kv.k) == nil {
				props.obj = append(props.obj, kv)
			}
		}
	}
	for i, p := range parts {
		for _, kv := range p.obj {
			switch {
			case kv.k == "properties" && kv.v.kind == 'o':
				addProps(kv.v)
			case kv.k == "required" && kv.v.kind == 'a':
				req.arr = append(req.arr, kv.v.arr...)
			case kv.k == "type" && kv.v.kind == 's' && kv.v.str == "object", annotations[kv.k]:
			case kv.k == "anyOf" && kv.v.kind == 'a':
				for j, b := range kv.v.arr {
					bpath := fmt.Sprintf("%s/anyOf/%d", paths[i], j)
					t, err := c.resolve(b, bpath)
					if err != nil {
						return nil, err
					}
					if t.kind != 'o' || t.get("required") != nil || t.get("additionalProperties") != nil {
						return nil, schemaErr(bpath, "allOf can merge an anyOf only of object schemas that require nothing")
					}
					if pr := t.get("properties"); pr != nil && pr.kind == 'o' {
						addProps(pr)
					}
				}
			default:
				return nil, schemaErr(paths[i], "allOf can only merge object schemas (properties, required), enums and consts, not %s", kv.k)
			}
		}
	}
	return &jval{kind: 'o', obj: []jkv{{"type", &jval{kind: 's', str: "object"}}, {"properties", props}, {"required", req}}}, nil
}
