package grammar

import (
	"fmt"
	"strconv"
	"strings"
)

// object builds the rule body of an object schema.
func (c *conv) object(s *jval, name, path string) (string, error) {
	if err := onlyKeys(s, path, "object"); err != nil {
		return "", err
	}
	props := s.get("properties")
	if props != nil && props.kind != 'o' {
		return "", schemaErr(path+"/properties", "want an object")
	}
	required := map[string]bool{}
	var reqOrder []string
	if r := s.get("required"); r != nil {
		if r.kind != 'a' {
			return "", schemaErr(path+"/required", "want an array of strings")
		}
		for i, x := range r.arr {
			if x.kind != 's' {
				return "", schemaErr(fmt.Sprintf("%s/required/%d", path, i), "want a string")
			}
			if !required[x.str] {
				required[x.str] = true
				reqOrder = append(reqOrder, x.str)
			}
		}
	}
	add := s.get("additionalProperties")
	extra := add != nil && (add.kind == 'o' || add.kind == 'b' && add.b)
	if add != nil && add.kind != 'o' && add.kind != 'b' {
		return "", schemaErr(path+"/additionalProperties", "want a boolean or a schema")
	}
	if props == nil && (add == nil || add.kind == 'b' && add.b) && len(required) == 0 {
		return c.prim("object"), nil
	}
	space := c.prim("space")
	kvRule := map[string]string{}
	var req, opt []string
	defined := map[string]bool{}
	if props != nil {
		for _, kv := range props.obj {
			defined[kv.k] = true
			sub, err := c.visit(kv.v, name+"-"+ruleName(kv.k), path+"/properties/"+kv.k)
			if err != nil {
				return "", err
			}
			kvRule[kv.k] = c.add(name+"-"+ruleName(kv.k)+"-kv", literal(jsonString(kv.k))+" "+space+` ":" `+space+" "+sub)
			if required[kv.k] {
				req = append(req, kv.k)
			} else {
				opt = append(opt, kv.k)
			}
		}
	}
	for _, k := range reqOrder {
		if defined[k] {
			continue
		}
		if add != nil && add.kind == 'b' && !add.b {
			return "", schemaErr(path+"/required", "required property %q is not in properties and additionalProperties is false", k)
		}
		val := c.prim("value")
		if add != nil && add.kind == 'o' {
			var err error
			if val, err = c.visit(add, name+"-additional", path+"/additionalProperties"); err != nil {
				return "", err
			}
		}
		kvRule[k] = c.add(name+"-"+ruleName(k)+"-kv", literal(jsonString(k))+" "+space+` ":" `+space+" "+val)
		req = append(req, k)
	}
	if extra {
		val := c.prim("value")
		if add.kind == 'o' {
			var err error
			if val, err = c.visit(add, name+"-additional", path+"/additionalProperties"); err != nil {
				return "", err
			}
		}
		key := c.prim("string")
		if len(defined) > 0 {
			key = c.notKeys(name+"-additional-key", defined)
		}
		kvRule["*"] = c.add(name+"-additional-kv", key+` ":" `+space+" "+val)
		opt = append(opt, "*")
	}
	var rest func(ks []string, firstOptional bool) string
	rest = func(ks []string, firstOptional bool) string {
		k := ks[0]
		kv := kvRule[k]
		comma := `("," ` + space + " " + kv + ")"
		var res string
		switch {
		case firstOptional && k == "*":
			res = comma + "*"
		case firstOptional:
			res = comma + "?"
		case k == "*":
			res = kv + " " + comma + "*"
		default:
			res = kv
		}
		if len(ks) > 1 {
			res += " " + c.add(name+"-"+ruleName(k)+"-rest", rest(ks[1:], true))
		}
		return res
	}
	var b strings.Builder
	b.WriteString(`"{" ` + space)
	for i, k := range req {
		if i > 0 {
			b.WriteString(` "," ` + space)
		}
		b.WriteString(" " + kvRule[k])
	}
	if len(opt) > 0 {
		b.WriteString(" (")
		if len(req) > 0 {
			b.WriteString(` "," ` + space + " (")
		}
		for i := range opt {
			if i > 0 {
				b.WriteString(" |")
			}
			b.WriteString(" " + rest(opt[i:], false))
		}
		if len(req) > 0 {
			b.WriteString(" )")
		}
		b.WriteString(" )?")
	}
	b.WriteString(` "}" ` + space)
	return b.String(), nil
}

// count reads a non-negative integer keyword (nil when absent).
func count(s *jval, key, path string) (int, bool, error) {
	v := s.get(key)
	if v == nil {
		return 0, false, nil
	}
	if v.kind != 'n' {
		return 0, false, schemaErr(path+"/"+key, "want a non-negative integer")
	}
	n, err := strconv.ParseFloat(v.str, 64)
	if err != nil || n < 0 || n != float64(int64(n)) {
		return 0, false, schemaErr(path+"/"+key, "want a non-negative integer, not %s", v.str)
	}
	if n > MaxRepeat {
		return 0, false, schemaErr(path+"/"+key, "%s is above the limit %d", v.str, MaxRepeat)
	}
	return int(n), true, nil
}

// repeatRange renders {lo,hi} (hi absent: {lo,}).
func repeatRange(lo, hi int, haveHi bool) string {
	if !haveHi {
		return "{" + strconv.Itoa(lo) + ",}"
	}
	if lo == hi {
		return "{" + strconv.Itoa(lo) + "}"
	}
	return "{" + strconv.Itoa(lo) + "," + strconv.Itoa(hi) + "}"
}

// array builds the rule body of an array schema.
func (c *conv) array(s *jval, name, path string) (string, error) {
	if err := onlyKeys(s, path, "array"); err != nil {
		return "", err
	}
	space := c.prim("space")
	lo, _, err := count(s, "minItems", path)
	if err != nil {
		return "", err
	}
	hi, haveHi, err := count(s, "maxItems", path)
	if err != nil {
		return "", err
	}
	if haveHi && hi < lo {
		return "", schemaErr(path, "maxItems %d is below minItems %d", hi, lo)
	}
	items := s.get("items")
	prefix := s.get("prefixItems")
	if items != nil && items.kind == 'a' { // draft 4-2019 tuple form
		prefix, items = items, nil
	}
	if prefix != nil && prefix.kind == 'o' { // one schema: llama.cpp reads it as items
		if items != nil {
			return "", schemaErr(path+"/prefixItems", "want an array of schemas")
		}
		prefix, items = nil, prefix
	}
	if prefix != nil {
		if prefix.kind != 'a' {
			return "", schemaErr(path+"/prefixItems", "want an array of schemas")
		}
		if items != nil && !(items.kind == 'b' && !items.b) {
			return "", schemaErr(path+"/items", "items next to prefixItems (extra tuple items) is not supported")
		}
		if s.get("minItems") != nil || s.get("maxItems") != nil {
			return "", schemaErr(path, "minItems/maxItems with prefixItems are not supported")
		}
		var b strings.Builder
		b.WriteString(`"[" ` + space)
		for i, it := range prefix.arr {
			r, err := c.visit(it, name+"-"+strconv.Itoa(i), fmt.Sprintf("%s/prefixItems/%d", path, i))
			if err != nil {
				return "", err
			}
			if i > 0 {
				b.WriteString(` "," ` + space)
			}
			b.WriteString(" " + r)
		}
		b.WriteString(` "]" ` + space)
		return b.String(), nil
	}
	var item string
	if items != nil {
		if item, err = c.visit(items, name+"-item", path+"/items"); err != nil {
			return "", err
		}
	} else {
		item = c.prim("value")
	}
	if haveHi && hi == 0 {
		return `"[" ` + space + ` "]" ` + space, nil
	}
	more := ""
	switch {
	case !haveHi:
		more = `("," ` + space + " " + item + ")" + repeatRange(max(lo-1, 0), 0, false)
	case hi > 1:
		more = `("," ` + space + " " + item + ")" + repeatRange(max(lo-1, 0), hi-1, true)
	}
	list := item
	if more != "" {
		list += " " + more
	}
	if lo == 0 {
		list = "(" + list + ")?"
	}
	return `"[" ` + space + " " + list + ` "]" ` + space, nil
}

// str builds the rule body of a string schema.
func (c *conv) str(s *jval, path string) (string, error) {
	if err := onlyKeys(s, path, "string"); err != nil {
		return "", err
	}
	space := c.prim("space")
	if f := s.get("format"); f != nil {
		if f.kind != 's' {
			return "", schemaErr(path+"/format", "want a string")
		}
		switch f.str {
		case "date", "time", "date-time", "uuid", "email", "hostname", "ipv4", "uri":
		default:
			return "", schemaErr(path+"/format", "format %q is not supported (date, time, date-time, uuid, email, hostname, ipv4, uri are)", f.str)
		}
		if s.get("pattern") != nil || s.get("minLength") != nil || s.get("maxLength") != nil {
			return "", schemaErr(path, "format with pattern/minLength/maxLength is not supported")
		}
		return `"\"" ` + c.prim(f.str) + ` "\"" ` + space, nil
	}
	if p := s.get("pattern"); p != nil {
		if p.kind != 's' {
			return "", schemaErr(path+"/pattern", "want a string")
		}
		if s.get("minLength") != nil || s.get("maxLength") != nil {
			return "", schemaErr(path, "pattern with minLength/maxLength is not supported")
		}
		expr, err := regexToGBNF(p.str)
		if err != nil {
			return "", schemaErr(path+"/pattern", "%v", err)
		}
		return `"\"" ` + expr + ` "\"" ` + space, nil
	}
	lo, _, err := count(s, "minLength", path)
	if err != nil {
		return "", err
	}
	hi, haveHi, err := count(s, "maxLength", path)
	if err != nil {
		return "", err
	}
	if haveHi && hi < lo {
		return "", schemaErr(path, "maxLength %d is below minLength %d", hi, lo)
	}
	if lo == 0 && !haveHi {
		return c.prim("string"), nil
	}
	return `"\"" ` + c.prim("char") + repeatRange(lo, hi, haveHi) + ` "\"" ` + space, nil
}
